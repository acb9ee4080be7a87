// SPDX-License-Identifier: MIT
// The public headers compile as C++ and are usable from it.
#include <traceingest/traceingest.h>
#include <traceingest/ti-format.h>

int main() {
  ti_open_options o = TI_OPEN_OPTIONS_INIT;
  ti_iter *it = nullptr;
  static const char buf[] = "not a trace";
  int rc = ti_open_memory(&it, buf, sizeof buf - 1, &o);
  ti_free(it);
  return (rc == TI_ERR_FORMAT_UNKNOWN && ti_version_number() == TI_VERSION_NUMBER) ? 0 : 1;
}
