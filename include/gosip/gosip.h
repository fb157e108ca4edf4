/* GoSIP umbrella header: every public layer of the library. */
#ifndef GOSIP_GOSIP_H
#define GOSIP_GOSIP_H

#include <gosip/version.h>
#include <gosip/base.h>
#include <gosip/msg.h>
#include <gosip/transport.h>
#include <gosip/txn.h>
#include <gosip/dialog.h>
#include <gosip/stack.h>

#endif
