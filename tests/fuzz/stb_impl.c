/* stb_image and stb_image_write compiled with the fuzzers' instrumentation (see CMakeLists.txt). */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
