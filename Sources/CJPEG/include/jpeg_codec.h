#ifndef NASCTL_JPEG_CODEC_H
#define NASCTL_JPEG_CODEC_H

#include <stddef.h>

/// Decodes the JPEG in `data[0..<size]` to 8-bit pixels, row-major, `channels` (1: gray,
/// 3: RGB) per pixel, converting the file's colour space as needed. On success returns 0 and
/// sets `*pixels` (malloc'ed: the caller frees it), `*width`, `*height` and
/// `*file_channels` (the channels stored in the file). On failure returns -1 and writes
/// libjpeg's message into `message` (at most `message_size` bytes, NUL-terminated).
/// libjpeg reports errors by longjmp; this wrapper keeps that inside C.
int nasctl_jpeg_decode(const unsigned char *data, size_t size, int channels, unsigned char **pixels,
                       int *width, int *height, int *file_channels, char *message, size_t message_size);

/// Encodes `width x height` 8-bit pixels with `channels` (1 or 3) per pixel at `quality`
/// (1-100). On success returns 0 and sets `*out` (malloc'ed) and `*out_size`; else -1 with
/// the message as above.
int nasctl_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                       unsigned char **out, size_t *out_size, char *message, size_t message_size);

#endif
