#include <gosip/base.h>

const char *gosip_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
#define GOSIP__ERR_TEXT(name, val, text)                                                          \
    case val:                                                                                     \
        return text;
        GOSIP_ERRNO_MAP(GOSIP__ERR_TEXT)
#undef GOSIP__ERR_TEXT
    default:
        return "unknown error";
    }
}

const char *gosip_err_name(int err)
{
    switch (err) {
    case 0:
        return "GOSIP_OK";
#define GOSIP__ERR_NAME(name, val, text)                                                          \
    case val:                                                                                     \
        return "GOSIP_ERR_" #name;
        GOSIP_ERRNO_MAP(GOSIP__ERR_NAME)
#undef GOSIP__ERR_NAME
    default:
        return "GOSIP_ERR_UNKNOWN";
    }
}

int gosip_err_is_fatal(int err)
{
    return err < GOSIP_ERR_FATAL;
}
