/* What the firmware's C side (a board, support.c and the generated data.c) gives its Swift side
   (Firmware.swift). */
#ifndef GNRUNTIME_FIRMWARE_H
#define GNRUNTIME_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

/* The model file in flash, 64-byte aligned, used in place. */
extern const unsigned char *const firmware_model;
extern const size_t firmware_model_size;

/* Test images in flash: firmware_image_count × the model's input size bytes (0 … 255), their labels,
   and the running prediction the host runtime made of each at every step of the same session,
   [image][step]. */
extern const unsigned char *const firmware_images;
extern const unsigned char *const firmware_labels;
extern const int32_t *const firmware_host_predictions;
extern const size_t firmware_image_count;

/* The session the host ran, which the firmware runs too. */
typedef struct {
    uint32_t neuron;     /* 0 ANN, 1 Group Neurons, 2 IF (gn_neuron_kind) */
    uint32_t tau;        /* members per Group Neuron */
    uint32_t time_steps; /* T */
} firmware_session_options;
extern const firmware_session_options firmware_session;

/* Static RAM for one sample's input and output and the session's arena, 64-byte aligned. */
extern unsigned char *const firmware_memory;
extern const size_t firmware_memory_size;

/* Writes a NUL-terminated string to the host console (semihosting). (The board files.) */
void firmware_print(const char *text);
/* Ends the program: status 0 reports success to QEMU, anything else failure. */
void firmware_exit(int status) __attribute__((noreturn));
/* A free-running counter, counting down: the CMSDK timer 0 (25 MHz) on mps2-an386, the CLINT's mtime
   (10 MHz), inverted, on virt. */
uint32_t firmware_timer(void);
/* The timer ticks a loop of FIRMWARE_CALIBRATION_INSTRUCTIONS instructions takes: under QEMU's
   -icount, the instructions per tick. */
#define FIRMWARE_CALIBRATION_INSTRUCTIONS 4000000
uint32_t firmware_calibration_ticks(void);
/* The most bytes of stack used since reset (measured up to 64 KiB). */
uint32_t firmware_stack_bytes_used(void);
/* For the boards' reset handlers: paints the stack below `stack_pointer` for the measurement above. */
void firmware_paint_stack(uint32_t *stack_pointer);

/* The C library functions of support.c that the boards call too. */
void *memset(void *target, int value, size_t count);
void *memcpy(void *restrict target, const void *restrict source, size_t count);
void *memmove(void *target, const void *source, size_t count);

#endif
