/* SPDX-License-Identifier: MIT */
#include "core.h"

TI_API unsigned ti_version_number(void) { return TI_VERSION_NUMBER; }
TI_API const char *ti_version_string(void) { return TI_VERSION_STRING; }
