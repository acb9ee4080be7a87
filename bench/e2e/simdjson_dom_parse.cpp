// SPDX-License-Identifier: MIT
// Parse-only reference for bench/run.py: one simdjson DOM per JSONL line.
//
//   simdjson-dom-parse [--inner KEY] PATH...
//
// PATH is a file or a directory (walked recursively, *.jsonl / *.json files).
// Each file is read whole into one padded buffer; every non-empty line is
// parsed with simdjson::dom::parser (no copy: the rest of the padded buffer
// satisfies simdjson's padding rule). With --inner KEY, a string member KEY of
// each parsed line object is parsed again as JSON (SWE-smith's "messages").
// Prints "lines bytes errors" on stdout. Built only for benchmarks:
//   c++ -O2 -std=c++17 simdjson_dom_parse.cpp -lsimdjson -o simdjson-dom-parse
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

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
  for (const auto &f : files) {
    simdjson::padded_string buf;
    if (simdjson::padded_string::load(f).get(buf)) {
      std::fprintf(stderr, "simdjson-dom-parse: cannot read %s\n", f.c_str());
      return 1;
    }
    const char *p = buf.data(), *end = p + buf.size();
    bytes += buf.size();
    while (p < end) {
      const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
      if (!nl) nl = end;
      size_t len = size_t(nl - p);
      if (len) {
        simdjson::dom::element doc;
        if (parser.parse(p, len, false).get(doc)) {
          errors++;
        } else {
          lines++;
          sink += size_t(doc.type());
          if (inner) {
            std::string_view s;
            if (!doc[inner].get_string().get(s)) {
              simdjson::dom::element d2;
              if (inner_parser.parse(s.data(), s.size(), true).get(d2)) errors++;
              else sink += size_t(d2.type());
            }
          }
        }
      }
      p = nl + 1;
    }
  }
  std::printf("%llu %llu %llu\n", lines, bytes, errors);
  return sink == 0xFFFFFFFFFFFFFFFFull;  // keep the parses observable
}
