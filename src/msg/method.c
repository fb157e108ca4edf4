#include "msg/msg_internal.h"

#include <string.h>

static const char *const method_names[] = {
    [GOSIP_METHOD_INVITE] = "INVITE",       [GOSIP_METHOD_ACK] = "ACK",
    [GOSIP_METHOD_BYE] = "BYE",             [GOSIP_METHOD_CANCEL] = "CANCEL",
    [GOSIP_METHOD_OPTIONS] = "OPTIONS",     [GOSIP_METHOD_REGISTER] = "REGISTER",
    [GOSIP_METHOD_PRACK] = "PRACK",         [GOSIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
    [GOSIP_METHOD_NOTIFY] = "NOTIFY",       [GOSIP_METHOD_PUBLISH] = "PUBLISH",
    [GOSIP_METHOD_INFO] = "INFO",           [GOSIP_METHOD_REFER] = "REFER",
    [GOSIP_METHOD_MESSAGE] = "MESSAGE",     [GOSIP_METHOD_UPDATE] = "UPDATE",
};

#define N_METHODS (sizeof method_names / sizeof method_names[0])

const char *gosip_method_name(gosip_method m)
{
    if ((unsigned)m >= N_METHODS)
        return NULL;
    return method_names[m];
}

static int is(gosip_str s, gosip_method m)
{
    const char *name = method_names[m];
    return memcmp(s.p, name, s.n) == 0 && name[s.n] == '\0';
}

/* Methods are case-sensitive (RFC 3261 7.1); dispatch on length then compare. */
gosip_method gosip_method_from_str(gosip_str s)
{
    if (!s.p)
        return GOSIP_METHOD_UNKNOWN;
    switch (s.n) {
    case 3:
        if (is(s, GOSIP_METHOD_ACK))
            return GOSIP_METHOD_ACK;
        if (is(s, GOSIP_METHOD_BYE))
            return GOSIP_METHOD_BYE;
        break;
    case 4:
        if (is(s, GOSIP_METHOD_INFO))
            return GOSIP_METHOD_INFO;
        break;
    case 5:
        if (is(s, GOSIP_METHOD_PRACK))
            return GOSIP_METHOD_PRACK;
        if (is(s, GOSIP_METHOD_REFER))
            return GOSIP_METHOD_REFER;
        break;
    case 6:
        if (is(s, GOSIP_METHOD_INVITE))
            return GOSIP_METHOD_INVITE;
        if (is(s, GOSIP_METHOD_CANCEL))
            return GOSIP_METHOD_CANCEL;
        if (is(s, GOSIP_METHOD_NOTIFY))
            return GOSIP_METHOD_NOTIFY;
        if (is(s, GOSIP_METHOD_UPDATE))
            return GOSIP_METHOD_UPDATE;
        break;
    case 7:
        if (is(s, GOSIP_METHOD_OPTIONS))
            return GOSIP_METHOD_OPTIONS;
        if (is(s, GOSIP_METHOD_PUBLISH))
            return GOSIP_METHOD_PUBLISH;
        if (is(s, GOSIP_METHOD_MESSAGE))
            return GOSIP_METHOD_MESSAGE;
        break;
    case 8:
        if (is(s, GOSIP_METHOD_REGISTER))
            return GOSIP_METHOD_REGISTER;
        break;
    case 9:
        if (is(s, GOSIP_METHOD_SUBSCRIBE))
            return GOSIP_METHOD_SUBSCRIBE;
        break;
    default:
        break;
    }
    return GOSIP_METHOD_UNKNOWN;
}

typedef struct reason_entry {
    int status;
    const char *phrase;
} reason_entry;

/* RFC 3261 section 21 plus the extensions GoSIP implements. */
static const reason_entry reasons[] = {
    {100, "Trying"}, {180, "Ringing"}, {181, "Call Is Being Forwarded"}, {182, "Queued"},
    {183, "Session Progress"}, {199, "Early Dialog Terminated"}, {200, "OK"},
    {202, "Accepted"}, {204, "No Notification"}, {300, "Multiple Choices"},
    {301, "Moved Permanently"}, {302, "Moved Temporarily"}, {305, "Use Proxy"},
    {380, "Alternative Service"}, {400, "Bad Request"}, {401, "Unauthorized"},
    {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"}, {408, "Request Timeout"}, {410, "Gone"},
    {412, "Conditional Request Failed"}, {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"}, {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"}, {420, "Bad Extension"}, {421, "Extension Required"},
    {422, "Session Interval Too Small"}, {423, "Interval Too Brief"},
    {480, "Temporarily Unavailable"}, {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"}, {483, "Too Many Hops"}, {484, "Address Incomplete"},
    {485, "Ambiguous"}, {486, "Busy Here"}, {487, "Request Terminated"},
    {488, "Not Acceptable Here"}, {489, "Bad Event"}, {491, "Request Pending"},
    {493, "Undecipherable"}, {494, "Security Agreement Required"},
    {500, "Server Internal Error"}, {501, "Not Implemented"}, {502, "Bad Gateway"},
    {503, "Service Unavailable"}, {504, "Server Time-out"}, {505, "Version Not Supported"},
    {513, "Message Too Large"}, {580, "Precondition Failure"}, {600, "Busy Everywhere"},
    {603, "Decline"}, {604, "Does Not Exist Anywhere"}, {606, "Not Acceptable"},
};

const char *gosip_reason_phrase(int status)
{
    size_t lo = 0, hi = sizeof reasons / sizeof reasons[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (reasons[mid].status == status)
            return reasons[mid].phrase;
        if (reasons[mid].status < status)
            lo = mid + 1;
        else
            hi = mid;
    }
    return "";
}
