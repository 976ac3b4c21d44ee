/* SPDX-License-Identifier: MIT */
/*
 * The explicit list of built-in device classes. No constructors, no linker
 * sets: adding a device is one line here, in the order --help lists them.
 */
#include "hvmemu/device.h"

extern const hv_device_class testdev_class;
extern const hv_device_class e1000_class;
extern const hv_device_class ide_piix_class;
extern const hv_device_class xen_platform_class;

const hv_device_class *const hv_builtin_classes[] = {
    &ide_piix_class,
    &e1000_class,
    &xen_platform_class,
    &testdev_class,
    NULL,
};
