// SPDX-License-Identifier: MIT
// Parse-only reference for bench/run.py: one simdjson DOM per JSONL line.
//
//   simdjson-dom-parse [--inner KEY] PATH...
//
// PATH is a file or a directory (walked recursively, *.jsonl / *.json files).
// Files are read in 1 MB+ blocks into one reused buffer (grown to the longest
// line); every non-empty line is parsed in place with simdjson::dom::parser
// (the buffer keeps SIMDJSON_PADDING bytes after the data, so no copy).
// With --inner KEY, a string member KEY of each parsed line object is parsed
// again as JSON (SWE-smith's "messages").
// Prints "lines bytes errors" on stdout. Built only for benchmarks:
//   c++ -O2 -std=c++17 simdjson_dom_parse.cpp -lsimdjson -o simdjson-dom-parse
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

static void collect(const std::string &path, std::vector<std::string> &out) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      auto ext = it->path().extension().string();
      if (ext == ".jsonl" || ext == ".json") found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  } else {
    out.push_back(path);
  }
}

int main(int argc, char **argv) {
  const char *inner = nullptr;
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    if (!std::strcmp(argv[i], "--inner") && i + 1 < argc)
      inner = argv[++i];
    else
      collect(argv[i], files);
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: simdjson-dom-parse [--inner KEY] PATH...\n");
    return 2;
  }
  simdjson::dom::parser parser, inner_parser;
  unsigned long long lines = 0, bytes = 0, errors = 0, sink = 0;
  // One read buffer for every file, grown to the longest line, with simdjson's
  // padding after the data: no per-file allocation or page faults.
  std::vector<char> buf(size_t(1) << 20);
  auto parse_line = [&](const char *p, size_t len) {
    if (!len) return;
    simdjson::dom::element doc;
    if (parser.parse(p, len, false).get(doc)) {
      errors++;
      return;
    }
    lines++;
    sink += size_t(doc.type());
    std::string_view s;
    if (inner && !doc[inner].get_string().get(s)) {
      simdjson::dom::element d2;
      if (inner_parser.parse(s.data(), s.size(), true).get(d2)) errors++;
      else sink += size_t(d2.type());
    }
  };
  for (const auto &f : files) {
    int fd = open(f.c_str(), O_RDONLY);
    if (fd < 0) {
      std::fprintf(stderr, "simdjson-dom-parse: cannot read %s\n", f.c_str());
      return 1;
    }
    size_t have = 0;  // bytes in buf not yet parsed (a partial line)
    for (;;) {
      if (buf.size() - have < (size_t(1) << 16) + simdjson::SIMDJSON_PADDING)
        buf.resize(buf.size() * 2);
      ssize_t r = read(fd, buf.data() + have, buf.size() - have - simdjson::SIMDJSON_PADDING);
      if (r < 0) {
        std::fprintf(stderr, "simdjson-dom-parse: read error on %s\n", f.c_str());
        return 1;
      }
      bytes += size_t(r);
      size_t end = have + size_t(r);
      const char *p = buf.data(), *e = p + end;
      if (r == 0) {  // end of file: the last line may have no newline
        parse_line(p, end);
        break;
      }
      for (;;) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(e - p)));
        if (!nl) break;
        parse_line(p, size_t(nl - p));
        p = nl + 1;
      }
      have = size_t(e - p);
      std::memmove(buf.data(), p, have);
    }
    close(fd);
  }
  std::printf("%llu %llu %llu\n", lines, bytes, errors);
  return sink == 0xFFFFFFFFFFFFFFFFull;  // keep the parses observable
}
