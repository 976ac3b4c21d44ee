/* SPDX-License-Identifier: MIT */
/* hvmemu: parse options, check them, serve the guest. */
#include <stdlib.h>

#include "tools/hvmemu/daemon.h"
#include "tools/hvmemu/devices.h"
#include "tools/hvmemu/log.h"
#include "tools/hvmemu/options.h"

int main(int argc, char **argv)
{
    hvmemu_options o = { 0 };
    int status;

    if (!hvmemu_parse_options(argc, argv, &o)) {
        hvmemu_free_options(&o);
        return 2;
    }
    hvmemu_log_init(o.verbosity);
    status = hvmemu_check_devices(&o);
    if (status == 0) {
        status = hvmemu_run(&o);
    }
    hvmemu_free_options(&o);
    return status;
}
