/* SPDX-License-Identifier: MIT */
/* OpenHands plugin: detection from the first bytes (formats/openhands.md 0)
 * and of session / conversation directories.
 *
 * Decisive signals only: a v0 event (`"source": "agent|user|environment"`
 * together with an `"action"`/`"observation"` key), a v1 event (`"kind"`
 * naming an ...Event class), or an eval history of [action, observation]
 * pairs. Envelope keys alone (instance_id, history, trajectory) are shared
 * with SWE-agent / SWE-smith files and only give a low score, so the core
 * grows the window instead of deciding. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "oh.h"

static const char *find(const char *p, const char *end, const char *s) {
  size_t n = strlen(s);
  if ((size_t)(end - p) < n)
    return NULL;
  return memmem(p, (size_t)(end - p), s, n);
}

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++;
  return p;
}

/* Position after `"key"\s*:\s*` for each occurrence, in turn. */
static const char *key_value(const char *p, const char *end, const char *quoted_key,
                             const char **next) {
  while ((p = find(p, end, quoted_key)) != NULL) {
    const char *q = skip_ws(p + strlen(quoted_key), end);
    p += strlen(quoted_key);
    if (q < end && *q == ':') {
      *next = p;
      return skip_ws(q + 1, end);
    }
  }
  return NULL;
}

static int value_is(const char *v, const char *end, const char *lit) {
  size_t n = strlen(lit);
  return v && (size_t)(end - v) >= n && memcmp(v, lit, n) == 0;
}

static int has_v0_event(const char *p, const char *end) {
  const char *v, *next = p;
  int src = 0;
  while ((v = key_value(next, end, "\"source\"", &next)) != NULL)
    if (value_is(v, end, "\"agent\"") || value_is(v, end, "\"user\"") ||
        value_is(v, end, "\"environment\"")) {
      src = 1;
      break;
    }
  if (!src)
    return 0;
  next = p;
  if ((v = key_value(next, end, "\"action\"", &next)) != NULL && value_is(v, end, "\""))
    return 1;
  next = p;
  if ((v = key_value(next, end, "\"observation\"", &next)) != NULL &&
      value_is(v, end, "\""))
    return 1;
  return 0;
}

static int has_v1_event(const char *p, const char *end) {
  const char *v, *next = p;
  while ((v = key_value(next, end, "\"kind\"", &next)) != NULL) {
    if (!value_is(v, end, "\""))
      continue;
    const char *q = v + 1;
    while (q < end && ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z')))
      q++;
    if (q < end && *q == '"' && q - v - 1 > 5 && memcmp(q - 5, "Event", 5) == 0)
      return 1;
    if (q < end && *q == '"' && q - v - 1 == 12 && memcmp(v + 1, "Condensation", 12) == 0)
      return 1;
  }
  return 0;
}

/* Which of the quoted keys below occur anywhere in [p, end): one pass over
 * the quotes, so that a window holding none of them (every file of another
 * format) is not searched once per key. */
enum {
  K_KIND = 1 << 0,
  K_SOURCE = 1 << 1,
  K_HISTORY = 1 << 2,
  K_ISSUE_TYPE = 1 << 3,
  K_ISSUE = 1 << 4,
  K_TRAJECTORY = 1 << 5,
  K_INSTANCE_ID = 1 << 6
};
static unsigned keys_present(const char *p, const char *end) {
  static const struct {
    const char *s;
    size_t n;
    unsigned bit;
  } keys[] = {{"kind\"", 5, K_KIND},           {"source\"", 7, K_SOURCE},
              {"history\"", 8, K_HISTORY},     {"issue_type\"", 11, K_ISSUE_TYPE},
              {"issue\"", 6, K_ISSUE},         {"trajectory\"", 11, K_TRAJECTORY},
              {"instance_id\"", 12, K_INSTANCE_ID}};
  unsigned m = 0;
  while (p < end && (p = memchr(p, '"', (size_t)(end - p))) != NULL) {
    p++;
    if (p >= end)
      break;
    char c = *p;
    if (c != 'k' && c != 's' && c != 'h' && c != 'i' && c != 't')
      continue;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
      if (keys[i].s[0] == c && (size_t)(end - p) >= keys[i].n &&
          memcmp(p, keys[i].s, keys[i].n) == 0)
        m |= keys[i].bit;
  }
  return m;
}

static int sniff(const char *p, const char *end, int at_eof) {
  if ((size_t)(end - p) >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
    p += 3;
  p = skip_ws(p, end);
  if (p >= end || (*p != '{' && *p != '['))
    return TI_PROBE_NONE;
  unsigned k = keys_present(p, end);
  if ((k & K_KIND) && has_v1_event(p, end))
    return 95;
  if ((k & K_SOURCE) && has_v0_event(p, end))
    return 90;
  const char *v, *next = p;
  if ((k & K_HISTORY) && (v = key_value(next, end, "\"history\"", &next)) != NULL &&
      value_is(v, end, "[")) {
    const char *q = skip_ws(v + 1, end);
    if (q < end && *q == '[')
      return 85; /* OpenDevin eval history of [action, observation] pairs */
  }
  next = p;
  if ((k & K_ISSUE_TYPE) && (k & K_ISSUE) && key_value(next, end, "\"issue\"", &next))
    return 60; /* resolver output: history items are flat dicts */
  /* Envelope keys only: let the window grow. */
  if (!at_eof && (k & (K_HISTORY | K_TRAJECTORY | K_INSTANCE_ID)))
    return TI_PROBE_WEAK;
  return TI_PROBE_NONE;
}

int oh_probe(const ti_probe_input *in) {
  return sniff((const char *)in->buf, (const char *)in->buf + in->len, in->at_eof);
}

/* ---- directories ------------------------------------------------------------- */
static int event_name(const char *name) {
  const char *p = name;
  size_t len = strlen(name);
  if (len < 6 || strcmp(name + len - 5, ".json") != 0)
    return 0;
  if (strncmp(p, "event-", 6) == 0)
    return p[6] >= '0' && p[6] <= '9';
  while (*p >= '0' && *p <= '9')
    p++;
  return p != name && strcmp(p, ".json") == 0;
}

static int has_file(const char *dir, const char *name) {
  char path[4096];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
    return 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  fclose(f);
  return 1;
}

/* Score a directory of event files by the first bytes of one of them. */
static int probe_events(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char path[4096], buf[4096];
  int score = 0;
  if (!d)
    return 0;
  while ((de = readdir(d)) != NULL) {
    if (!event_name(de->d_name))
      continue;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
      continue;
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    size_t n = fread(buf, 1, sizeof buf, f);
    int eof = feof(f) != 0;
    fclose(f);
    score = sniff(buf, buf + n, eof);
    if (score >= TI_PROBE_POSSIBLE)
      break;
  }
  closedir(d);
  return score >= TI_PROBE_POSSIBLE ? score : 0;
}

int oh_probe_dir(const char *path) {
  char events[4096];
  if ((size_t)snprintf(events, sizeof events, "%s/events", path) >= sizeof events)
    return 0;
  int s = probe_events(events);
  if (s) /* a session / conversation directory */
    return has_file(path, "base_state.json") || has_file(path, "metadata.json")
               ? TI_PROBE_CERTAIN
               : 95;
  s = probe_events(path);
  return s ? TI_PROBE_LIKELY : 0; /* the events directory itself */
}
