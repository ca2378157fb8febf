#include "family.h"

const char *
family_stored_string(const pmValueSet *vs)
{
    const pmValueBlock *vb;
    size_t len;

    if (vs->numval != 1 || vs->valfmt == PM_VAL_INSITU)
        return NULL;
    vb = vs->vlist[0].value.pval;
    if (vb->vtype != PM_TYPE_STRING || vb->vlen <= PM_VAL_HDR_SIZE)
        return NULL;
    len = vb->vlen - PM_VAL_HDR_SIZE;
    return vb->vbuf[len - 1] == '\0' ? vb->vbuf : NULL;
}
