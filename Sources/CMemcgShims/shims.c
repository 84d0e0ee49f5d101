// Intentionally empty: the shims are static inline in the header.
#include "memcg_shims.h"
