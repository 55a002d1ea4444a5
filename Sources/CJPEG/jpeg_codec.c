#include "jpeg_codec.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>

/// The largest side decoded (ImageDataset.maximumSide): checked before any pixel buffer exists.
#define NASCTL_JPEG_MAX_SIDE 4096

/// libjpeg's error manager with a place to jump back to and the message kept.
struct guarded_error {
    struct jpeg_error_mgr base;
    jmp_buf back;
    char *message;
    size_t message_size;
};

static void fail(j_common_ptr info) {
    struct guarded_error *error = (struct guarded_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    if (error->message && error->message_size > 0) {
        snprintf(error->message, error->message_size, "%s", text);
    }
    longjmp(error->back, 1);
}

/// Counts warnings (level -1: damaged or missing data) without printing them.
static void quiet(j_common_ptr info, int level) {
    if (level < 0) info->err->num_warnings++;
}

/// Points `err` at a guarded error manager that keeps the message in `message`.
static struct jpeg_error_mgr *guard_errors(struct guarded_error *error, char *message, size_t message_size) {
    struct jpeg_error_mgr *manager = jpeg_std_error(&error->base);
    error->base.error_exit = fail;
    error->base.emit_message = quiet;
    error->message = message;
    error->message_size = message_size;
    return manager;
}

int nasctl_jpeg_decode(const unsigned char *data, size_t size, int channels, unsigned char **pixels,
                       int *width, int *height, int *file_channels, char *message, size_t message_size) {
    struct jpeg_decompress_struct info;
    struct guarded_error error;
    unsigned char *volatile out = NULL;
    *pixels = NULL;
    if (channels != 1 && channels != 3) {
        snprintf(message, message_size, "channels must be 1 or 3");
        return -1;
    }
    info.err = guard_errors(&error, message, message_size);
    if (setjmp(error.back)) {
        jpeg_destroy_decompress(&info);
        free(out);
        return -1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    *file_channels = info.num_components;
    if (info.image_width > NASCTL_JPEG_MAX_SIDE || info.image_height > NASCTL_JPEG_MAX_SIDE) {
        snprintf(message, message_size, "a %ux%u JPEG; each side must be at most %d pixels", info.image_width, info.image_height, NASCTL_JPEG_MAX_SIDE);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    info.out_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t stride = (size_t)info.output_width * (size_t)info.output_components;
    out = malloc(stride * info.output_height);
    if (!out) {
        snprintf(message, message_size, "out of memory for %ux%u pixels", info.output_width, info.output_height);
        jpeg_destroy_decompress(&info);
        return -1;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = out + (size_t)info.output_scanline * stride;
        jpeg_read_scanlines(&info, &row, 1);
    }
    *width = (int)info.output_width;
    *height = (int)info.output_height;
    jpeg_finish_decompress(&info);
    /* libjpeg only warns about missing data (and fills it with gray): refuse such a file. */
    if (error.base.num_warnings > 0) {
        char text[JMSG_LENGTH_MAX];
        (*info.err->format_message)((j_common_ptr)&info, text);
        snprintf(message, message_size, "%s", text);
        jpeg_destroy_decompress(&info);
        free(out);
        return -1;
    }
    jpeg_destroy_decompress(&info);
    *pixels = out;
    return 0;
}

int nasctl_jpeg_encode(const unsigned char *pixels, int width, int height, int channels, int quality,
                       unsigned char **out, size_t *out_size, char *message, size_t message_size) {
    struct jpeg_compress_struct info;
    struct guarded_error error;
    unsigned char *buffer = NULL;
    unsigned long length = 0;
    *out = NULL;
    info.err = guard_errors(&error, message, message_size);
    if (setjmp(error.back)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return -1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, &buffer, &length);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality, TRUE);
    jpeg_start_compress(&info, TRUE);
    size_t stride = (size_t)width * (size_t)channels;
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * stride);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out = buffer;
    *out_size = length;
    return 0;
}
