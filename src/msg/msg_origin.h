/*
 * Where a received message came from, recorded by the layer that received it (opaque to
 * the message layer). Responses built with gosip_msg_new_response() inherit the origin of
 * their request, so that they can be sent back the way it came.
 */
#ifndef GOSIP_MSG_MSG_ORIGIN_H
#define GOSIP_MSG_MSG_ORIGIN_H

#include <gosip/msg.h>

/* Records an origin on m (copied; at most GOSIP__MSG_ORIGIN_MAX bytes, else cleared). */
void gosip__msg_set_origin(gosip_msg *m, const void *data, size_t len);
/* The origin recorded on m, NULL when none; *len receives its size. */
const void *gosip__msg_get_origin(const gosip_msg *m, size_t *len);

#endif
