// Private to app/gl/: the one place that includes the OpenGL API. Nothing outside app/gl/ may
// include this header or call gl* functions (panels talk to renderers instead).
#pragma once

#ifndef GL_GLEXT_PROTOTYPES
#define GL_GLEXT_PROTOTYPES 1
#endif
#include <GL/glcorearb.h>
