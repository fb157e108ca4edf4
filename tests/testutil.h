/*
 * Shared helpers for the cmocka unit tests: tu_base.h (files, directories, one test per data
 * file, allocators, strings, text buffer) and tu_msg.h (parse, print, compare, frame and
 * edit messages). Include this one, or only the half a test needs.
 */
#ifndef GOSIP_TESTS_TESTUTIL_H
#define GOSIP_TESTS_TESTUTIL_H

#include "tu_base.h"
#include "tu_msg.h"

#endif
