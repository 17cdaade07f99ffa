/*
 * The bad-input contract (docs/bad-input.md) through the C API, row by row, and the model lifetime.
 * Built and run by scripts/sanitizers.sh under AddressSanitizer and UndefinedBehaviorSanitizer, and
 * by valgrind memcheck.
 *
 *     capi_test MODEL MAXPOOL_MODEL INT8_MODEL SCRATCH_DIR
 *
 * MODEL: a model with 3x32x32 inputs and 10 outputs whose spiking sessions run (gnruntime-demo-model);
 * MAXPOOL_MODEL: one with max pooling (gnruntime-demo-model --max-pool); INT8_MODEL: one with int8
 * weights (gnruntime-demo-model --int8).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnruntime.h"

static int failures = 0;

/* Checks a status and that the thread's message holds `words`; reports the row. */
static void expect(const char *id, gn_status status, gn_status expected, const char *words) {
    const char *message = gn_last_error();
    int ok = status == expected && strstr(message, words) != NULL
             && strncmp(message, gn_status_string(expected), strlen(gn_status_string(expected))) == 0;
    printf("%s %s: %s -> \"%s\"\n", ok ? "ok  " : "FAIL", id, gn_status_string(status), message);
    if (!ok) failures++;
}

static void check(const char *what, int condition) {
    if (!condition) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static unsigned char *read_file(const char *path, size_t *size_out) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *bytes = malloc((size_t)size);
    if (bytes && fread(bytes, 1, (size_t)size, file) != (size_t)size) {
        free(bytes);
        bytes = NULL;
    }
    fclose(file);
    *size_out = (size_t)size;
    return bytes;
}

/* CRC-32 of zlib, with bytes 12..15 taken as zero: the model file's checksum. */
static void fix_checksum(unsigned char *bytes, size_t size) {
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; i++) {
        crc ^= (i >= 12 && i < 16) ? 0 : bytes[i];
        for (int bit = 0; bit < 8; bit++) crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
    crc = ~crc;
    for (int i = 0; i < 4; i++) bytes[12 + i] = (unsigned char)(crc >> (8 * i));
}

static gn_session_options options_with(gn_neuron_kind neuron, uint32_t tau, uint32_t steps, uint32_t batch) {
    gn_session_options options = gn_session_options_default();
    options.neuron = neuron;
    options.tau = tau;
    options.time_steps = steps;
    options.batch = batch;
    return options;
}

/* Little-endian field writes into a model's bytes. */
static void put_u16(unsigned char *at, uint16_t value) {
    for (int i = 0; i < 2; i++) at[i] = (unsigned char)(value >> (8 * i));
}
static void put_u32(unsigned char *at, uint32_t value) {
    for (int i = 0; i < 4; i++) at[i] = (unsigned char)(value >> (8 * i));
}
static void put_f32(unsigned char *at, float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    put_u32(at, bits);
}
static uint64_t get_u64(const unsigned char *at) {
    uint64_t value = 0;
    for (int i = 7; i >= 0; i--) value = value << 8 | at[i];
    return value;
}

/* Rows B57 - B62 on the int8 demo model: layer 0 conv2d (float32, reads the input), 1 qcfs,
   2 avgpool 2x2, 3 conv2d with int8 weights, ... Records are 64 bytes from offset 64. */
static void int8_rows(const unsigned char *bytes, size_t size) {
    enum { RECORD = 64, FLAGS = 2, KERNEL = 24, STRIDE = 28, PADDING = 32, LEVELS = 36, THRESHOLD = 40, BLOB_P = 48,
           BLOB_Q = 56 };
    unsigned char *changed = malloc(size);
    gn_model *model = NULL;
    const unsigned char *int8_layer = bytes + RECORD * 4;
    size_t scales = (size_t)get_u64(int8_layer + BLOB_Q);

    /* The unchanged model reports how each layer's weights are stored. */
    gn_weight_type types[4] = {GN_WEIGHTS_NONE, GN_WEIGHTS_NONE, GN_WEIGHTS_NONE, GN_WEIGHTS_NONE};
    check("int8 model loads", gn_model_load_bytes(bytes, size, 0, &model) == GN_STATUS_OK);
    int reported = 1;
    for (size_t layer = 0; layer < 4; layer++) {
        types[layer] = (gn_weight_type)99;
        reported = reported && gn_model_layer_weights(model, layer, &types[layer]) == GN_STATUS_OK;
    }
    check("layer weights: float32, none, none, int8", reported && types[0] == GN_WEIGHTS_FLOAT32
                                                         && types[1] == GN_WEIGHTS_NONE && types[2] == GN_WEIGHTS_NONE
                                                         && types[3] == GN_WEIGHTS_INT8);
    gn_model_free(model);
    model = NULL;

    memcpy(changed, bytes, size);
    put_f32(changed + scales, 0.0f);
    fix_checksum(changed, size);
    expect("B57", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "int8 weight scale must be positive");
    put_f32(changed + scales, -1.0f);
    fix_checksum(changed, size);
    expect("B57", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "int8 weight scale must be positive");
    put_f32(changed + scales, NAN);
    fix_checksum(changed, size);
    expect("B58", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "blob holds NaN or infinity");
    put_f32(changed + scales, INFINITY);
    fix_checksum(changed, size);
    expect("B58", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "blob holds NaN or infinity");

    memcpy(changed, bytes, size);
    put_u32(changed + RECORD * 4 + BLOB_P, (uint32_t)((size - 1) / 64 * 64)); /* the last 64 bytes: too few */
    fix_checksum(changed, size);
    expect("B59", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "lies outside the file");

    memcpy(changed, bytes, size);
    put_u16(changed + RECORD * 1 + FLAGS, 3); /* int8 weights on the layer that reads the input */
    fix_checksum(changed, size);
    expect("B60", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL,
           "int8 weights on a layer whose input is not integer-valued");

    /* L = 65535 before the 2x2 pool: layer 3 sums 144 x 128 x 262140 > 2^31 - 1 in ANN mode. */
    gn_session_options ann = options_with(GN_NEURON_ANN, 4, 1, 1);
    gn_session *session = NULL;
    memcpy(changed, bytes, size);
    put_u32(changed + RECORD * 2 + LEVELS, 65535);
    fix_checksum(changed, size);
    check("B61 loads", gn_model_load_bytes(changed, size, 0, &model) == GN_STATUS_OK);
    expect("B61", gn_session_create(model, &ann, &session), GN_STATUS_UNSUPPORTED, "sums could overflow int32");
    gn_session_options gn = options_with(GN_NEURON_GROUP, 8, 2, 1);
    check("B61: a Group-Neuron session of the same model fits", gn_session_create(model, &gn, &session) == GN_STATUS_OK);
    gn_session_free(session);
    gn_model_free(model);

    /* And a 4x4 pool (stride 2, padding 1: the same shape): integers up to 65535 x 16. */
    put_u16(changed + RECORD * 3 + KERNEL, 4);
    put_u16(changed + RECORD * 3 + KERNEL + 2, 4);
    put_u16(changed + RECORD * 3 + STRIDE, 2);
    put_u16(changed + RECORD * 3 + STRIDE + 2, 2);
    put_u16(changed + RECORD * 3 + PADDING, 1);
    put_u16(changed + RECORD * 3 + PADDING + 2, 1);
    fix_checksum(changed, size);
    check("B62 loads", gn_model_load_bytes(changed, size, 0, &model) == GN_STATUS_OK);
    expect("B62", gn_session_create(model, &ann, &session), GN_STATUS_UNSUPPORTED, "to carry exactly");
    gn_model_free(model);

    /* lambda = 1e-37 on the qcfs layer: a Group Neuron unit lambda / 64 is subnormal, lambda / 1 is not. */
    memcpy(changed, bytes, size);
    put_f32(changed + RECORD * 2 + THRESHOLD, 1e-37f);
    fix_checksum(changed, size);
    check("B66 loads", gn_model_load_bytes(changed, size, 0, &model) == GN_STATUS_OK);
    gn_session_options small_tau = options_with(GN_NEURON_GROUP, 1, 2, 1);
    check("B66: tau = 1 keeps a normal unit", gn_session_create(model, &small_tau, &session) == GN_STATUS_OK);
    gn_session_free(session);
    session = NULL;
    gn_session_options large_tau = options_with(GN_NEURON_GROUP, 64, 2, 1);
    expect("B66", gn_session_create(model, &large_tau, &session), GN_STATUS_UNSUPPORTED, "below the smallest normal float");
    gn_model_free(model);
    free(changed);
}

/* What an observer saw: the layer of each call, and the values of the input's call. */
static struct {
    size_t layers[256];
    size_t calls;
    float input_copy[8];
    size_t input_count;
} observed;

static void record_layer(void *context, size_t layer, size_t step, const float *output, size_t count) {
    (void)context;
    (void)step;
    if (observed.calls < 256) observed.layers[observed.calls] = layer;
    observed.calls++;
    if (layer == GN_OBSERVED_INPUT) {
        observed.input_count = count;
        for (size_t i = 0; i < 8 && i < count; i++) observed.input_copy[i] = output[i];
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: capi_test MODEL MAXPOOL_MODEL INT8_MODEL SCRATCH_DIR\n");
        return 2;
    }
    size_t size = 0, pool_size = 0, int8_size = 0;
    unsigned char *bytes = read_file(argv[1], &size);
    unsigned char *pool_bytes = read_file(argv[2], &pool_size);
    unsigned char *int8_bytes = read_file(argv[3], &int8_size);
    const char *scratch_dir = argv[4];
    if (!bytes || !pool_bytes || !int8_bytes) {
        fprintf(stderr, "capi_test: cannot read the models\n");
        return 2;
    }
    gn_model *model = NULL, *other = (gn_model *)0x1;

    /* Loading. */
    expect("B01", gn_model_load_file(NULL, 0, &model), GN_STATUS_NULL_POINTER, "path is NULL");
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/does-not-exist.gnrt", scratch_dir);
    expect("B02", gn_model_load_file(missing, 0, &model), GN_STATUS_IO_ERROR, "cannot open the model file");
    expect("B03", gn_model_load_file(scratch_dir, 0, &model), GN_STATUS_IO_ERROR, "not a regular file");
    expect("B04", gn_model_load_bytes(NULL, size, 0, &model), GN_STATUS_NULL_POINTER, "bytes is NULL");
    expect("B05", gn_model_load_bytes(bytes, size, 0, NULL), GN_STATUS_NULL_POINTER, "model_out is NULL");
    expect("B06", gn_model_load_bytes(bytes, 10, 0, &model), GN_STATUS_BAD_MODEL, "shorter than the 64-byte header");
    unsigned char *changed = malloc(size);
    memcpy(changed, bytes, size);
    changed[0] = 'X';
    expect("B07", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "magic is not GNRT");
    expect("B08", gn_model_load_bytes(bytes, size - 7, 0, &model), GN_STATUS_BAD_MODEL, "file size field does not match");
    memcpy(changed, bytes, size);
    changed[size / 2] ^= 0x40;
    expect("B09", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "checksum mismatch");
    memcpy(changed, bytes, size);
    changed[4] = 2; /* major version 2 */
    fix_checksum(changed, size);
    expect("B10", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_UNSUPPORTED, "major version is not supported");
    memcpy(changed, bytes, size);
    changed[64] = 17; /* the first layer's kind */
    fix_checksum(changed, size);
    expect("B11", gn_model_load_bytes(changed, size, 0, &model), GN_STATUS_BAD_MODEL, "unknown layer kind");
    expect("B12", gn_model_load_bytes(bytes, size, 0x80, &model), GN_STATUS_INVALID_OPTION, "unknown load flags");
    unsigned char *aligned = NULL;
    if (posix_memalign((void **)&aligned, GN_ALIGNMENT, size + GN_ALIGNMENT) != 0) return 2;
    memcpy(aligned + 8, bytes, size);
    expect("B13", gn_model_borrow_bytes(aligned + 8, size, 0, &model), GN_STATUS_MISALIGNED, "64-byte aligned");
    check("no model written on failure", model == NULL);
    free(changed);

    /* A good model, from the file. */
    if (gn_model_load_file(argv[1], 0, &model) != GN_STATUS_OK) {
        fprintf(stderr, "capi_test: %s\n", gn_last_error());
        return 2;
    }
    gn_session_options options = options_with(GN_NEURON_GROUP, 4, 4, 2);
    gn_session *session = (gn_session *)0x1;
    size_t bytes_needed = 0;

    /* Session options. */
    expect("B14", gn_session_create(model, NULL, &session), GN_STATUS_NULL_POINTER, "options is NULL");
    expect("B15", gn_session_create(NULL, &options, &session), GN_STATUS_NULL_POINTER, "model is NULL");
    gn_session_options bad = options;
    bad.time_steps = 0;
    expect("B16", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "time_steps must be at least 1");
    bad = options;
    bad.tau = 0;
    expect("B17", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "tau must be in 1...64");
    bad.tau = 65;
    expect("B17", gn_session_arena_size(model, &bad, &bytes_needed), GN_STATUS_INVALID_OPTION, "tau must be in 1...64");
    bad = options;
    bad.batch = 0;
    expect("B18", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "batch must be at least 1");
    bad = options;
    bad.time_steps = 65536;
    bad.batch = 65536;
    expect("B19", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "time_steps x batch exceeds");
    bad = options;
    bad.threads = 0;
    expect("B20", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "threads must be in 1...64");
    bad.threads = 65;
    expect("B20", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "threads must be in 1...64");
    bad = options;
    bad.neuron = (gn_neuron_kind)7;
    expect("B21", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "neuron is not a gn_neuron_kind");
    bad = options;
    bad.schedule = (gn_schedule)9;
    expect("B22", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "schedule is not a gn_schedule");
    bad = options;
    bad.layer_tau_count = 3;
    expect("B23", gn_session_create(model, &bad, &session), GN_STATUS_NULL_POINTER, "layer_tau is NULL");
    size_t neurons = 0;
    gn_model_neuron_layer_count(model, &neurons);
    uint32_t layer_tau[64] = {0};
    bad.layer_tau = layer_tau;
    bad.layer_tau_count = neurons + 1;
    expect("B24", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "layer_tau_count must equal");
    layer_tau[0] = 65;
    bad.layer_tau_count = neurons;
    expect("B25", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "layer_tau entries");
    gn_model *pool_model = NULL;
    if (gn_model_load_bytes(pool_bytes, pool_size, 0, &pool_model) != GN_STATUS_OK) return 2;
    expect("B26", gn_session_create(pool_model, &options, &session), GN_STATUS_UNSUPPORTED,
           "(maxpool2d): max pooling has no spiking equivalent");
    gn_session_options ann = options_with(GN_NEURON_ANN, 4, 1, 1);
    gn_session *pool_session = NULL;
    check("an ANN session on the max-pool model", gn_session_create(pool_model, &ann, &pool_session) == GN_STATUS_OK);
    gn_session_free(pool_session);
    gn_model_free(pool_model);

    /* B63 - B65: the options struct's size (include/gnruntime.h, above gn_session_options). */
    bad = options;
    bad.size = 40;
    expect("B63", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION,
           "size is smaller than any gn_session_options");
    bad.size = 4097;
    expect("B63", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION,
           "size is larger than any gn_session_options");
    {
        /* A newer header's struct: this library's fields, then one it does not know. */
        struct { gn_session_options known; uint32_t later_field; uint32_t padding; } newer;
        memset(&newer, 0, sizeof newer);
        check("B64: init at a newer size", gn_session_options_init(&newer.known, sizeof newer) == GN_STATUS_OK);
        check("B64: init records the size", newer.known.size == sizeof newer);
        check("B64: init zeroes what it does not know", newer.later_field == 0 && newer.padding == 0);
        gn_session *newer_session = NULL;
        check("B64: a newer struct at its defaults runs",
              gn_session_create(model, &newer.known, &newer_session) == GN_STATUS_OK);
        gn_session_free(newer_session);
        newer.later_field = 1;
        expect("B64", gn_session_create(model, &newer.known, &session), GN_STATUS_UNSUPPORTED,
               "set a field this library does not know");
    }
    expect("B65", gn_session_options_init(&bad, 40), GN_STATUS_INVALID_OPTION,
           "size is not that of a gn_session_options");
    expect("B65", gn_session_options_init(&bad, 4097), GN_STATUS_INVALID_OPTION,
           "size is not that of a gn_session_options");
    expect("B65", gn_session_options_init(NULL, sizeof bad), GN_STATUS_NULL_POINTER, "options is NULL");

    bad = options;
    bad.count_spikes = 2;
    expect("B41", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "count_spikes must be 0 or 1");
    bad = options_with(GN_NEURON_ANN, 4, 1, 1);
    bad.count_spikes = 1;
    expect("B42", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "count_spikes needs a spiking session");
    bad = options;
    bad.exit_rule = (gn_exit_rule)9;
    expect("B43", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "exit_rule is not a gn_exit_rule");
    bad.exit_rule = GN_EXIT_MARGIN;
    bad.exit_margin = NAN;
    expect("B44", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "exit_margin must be finite and at least 0");
    bad.exit_margin = -1.0f;
    expect("B44", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "exit_margin must be finite and at least 0");
    bad.exit_rule = GN_EXIT_STABLE;
    bad.exit_steps = 0;
    expect("B45", gn_session_create(model, &bad, &session), GN_STATUS_INVALID_OPTION, "exit_steps must be at least 1");
    check("no session written on failure", session == (gn_session *)0x1);

    /* Arenas. */
    check("arena size", gn_session_arena_size(model, &options, &bytes_needed) == GN_STATUS_OK && bytes_needed > 0);
    unsigned char *arena = NULL;
    if (posix_memalign((void **)&arena, GN_ALIGNMENT, bytes_needed + GN_ALIGNMENT) != 0) return 2;
    expect("B27", gn_session_create_in_arena(model, &options, NULL, bytes_needed, &session), GN_STATUS_NULL_POINTER,
           "arena is NULL");
    expect("B28", gn_session_create_in_arena(model, &options, arena + 4, bytes_needed, &session), GN_STATUS_MISALIGNED,
           "arena must be 64-byte aligned");
    expect("B29", gn_session_create_in_arena(model, &options, arena, bytes_needed - 1, &session),
           GN_STATUS_ARENA_TOO_SMALL, "arena is smaller than the session needs");
    bad = options_with(GN_NEURON_GROUP, 4, 1, 0x7FFFFFFF); /* ~26 TB of activations */
    expect("B30", gn_session_create(model, &bad, &session), GN_STATUS_OUT_OF_MEMORY, "could not allocate memory");
    check("no session written on failure", session == (gn_session *)0x1);

    /* Runs, in a session in the caller's arena. */
    if (gn_session_create_in_arena(model, &options, arena, bytes_needed, &session) != GN_STATUS_OK) {
        fprintf(stderr, "capi_test: %s\n", gn_last_error());
        return 2;
    }
    enum { INPUT = 2 * 3 * 32 * 32, OUTPUT = 2 * 10 };
    float *input = malloc(INPUT * sizeof(float));
    float output[OUTPUT], first[OUTPUT];
    for (int i = 0; i < INPUT; i++) input[i] = (float)((i * 29) % 97) / 96.0f;
    int32_t predictions[8];
    expect("B37", gn_session_predictions(session, predictions, 8), GN_STATUS_NO_RESULT, "has not run yet");
    check("first run", gn_session_run(session, input, INPUT, 2, first, OUTPUT) == GN_STATUS_OK);
    for (int i = 0; i < OUTPUT; i++) output[i] = 42.0f;
    expect("B31", gn_session_run(NULL, input, INPUT, 2, output, OUTPUT), GN_STATUS_NULL_POINTER, "session is NULL");
    expect("B32", gn_session_run(session, NULL, INPUT, 2, output, OUTPUT), GN_STATUS_NULL_POINTER, "input is NULL");
    expect("B32", gn_session_run(session, input, INPUT, 2, NULL, OUTPUT), GN_STATUS_NULL_POINTER, "output is NULL");
    expect("B33", gn_session_run(session, input, INPUT - 1, 2, output, OUTPUT), GN_STATUS_SIZE_MISMATCH,
           "input has the wrong number of floats");
    expect("B34", gn_session_run(session, input, INPUT, 2, output, OUTPUT + 1), GN_STATUS_SIZE_MISMATCH,
           "output has the wrong number of floats");
    expect("B35", gn_session_run(session, input, 0, 0, output, 0), GN_STATUS_SIZE_MISMATCH, "sample count must be in 1...batch");
    expect("B35", gn_session_run(session, input, INPUT, 3, output, OUTPUT), GN_STATUS_SIZE_MISMATCH,
           "sample count must be in 1...batch");
    float saved = input[100];
    input[100] = NAN;
    expect("B36", gn_session_run(session, input, INPUT, 2, output, OUTPUT), GN_STATUS_INVALID_INPUT, "input holds NaN or infinity");
    input[100] = -INFINITY;
    expect("B36", gn_session_run(session, input, INPUT, 2, output, OUTPUT), GN_STATUS_INVALID_INPUT, "input holds NaN or infinity");
    input[100] = saved;
    int untouched = 1;
    for (int i = 0; i < OUTPUT; i++) untouched = untouched && output[i] == 42.0f;
    check("no output written on failure", untouched);
    check("session message", strstr(gn_session_last_error(session), "NaN or infinity") != NULL);
    check("run after failures", gn_session_run(session, input, INPUT, 2, output, OUTPUT) == GN_STATUS_OK
                                    && memcmp(output, first, sizeof output) == 0);
    expect("B38", gn_session_predictions(session, predictions, 7), GN_STATUS_SIZE_MISMATCH,
           "predictions must hold steps x samples values");
    check("predictions", gn_session_predictions(session, predictions, 8) == GN_STATUS_OK);

    /* The observer sees the run's input first, channels-last, only when asked to. */
    expect("B67", gn_session_observe_input(session, 2), GN_STATUS_INVALID_OPTION, "observe must be 0 or 1");
    check("observe input: NULL session", gn_session_observe_input(NULL, 1) == GN_STATUS_NULL_POINTER);
    check("observer", gn_session_set_observer(session, record_layer, NULL) == GN_STATUS_OK);
    observed.calls = 0;
    check("observed run", gn_session_run(session, input, INPUT, 2, output, OUTPUT) == GN_STATUS_OK);
    check("the input unseen by default", observed.calls > 0 && observed.layers[0] == 0 && observed.input_count == 0);
    check("observe input", gn_session_observe_input(session, 1) == GN_STATUS_OK);
    observed.calls = 0;
    check("run observing the input", gn_session_run(session, input, INPUT, 2, output, OUTPUT) == GN_STATUS_OK
                                         && memcmp(output, first, sizeof output) == 0);
    /* Channels-last: sample 0, pixel 0 holds the first value of each channel plane, then pixel 1. */
    check("the input first, then layer 0", observed.calls > 1 && observed.layers[0] == GN_OBSERVED_INPUT
                                               && observed.layers[1] == 0 && observed.input_count == INPUT);
    check("the input channels-last", observed.input_copy[0] == input[0] && observed.input_copy[1] == input[1024]
                                         && observed.input_copy[2] == input[2048] && observed.input_copy[3] == input[1]);
    check("observe input off", gn_session_observe_input(session, 0) == GN_STATUS_OK);
    check("observer removed", gn_session_set_observer(session, NULL, NULL) == GN_STATUS_OK);

    /* Layer times: none until asked for and a run has started; then each layer that computes on its own
       has a time, and the run's results do not change. */
    uint64_t nanoseconds = 7;
    expect("B68", gn_session_time_layers(session, 2), GN_STATUS_INVALID_OPTION, "time must be 0 or 1");
    expect("B70", gn_session_layer_time(session, 0, &nanoseconds), GN_STATUS_INVALID_STATE, "does not time its layers");
    check("time layers", gn_session_time_layers(session, 1) == GN_STATUS_OK);
    expect("B71", gn_session_layer_time(session, 0, &nanoseconds), GN_STATUS_NO_RESULT, "no run or stream has started");
    check("layer time: nothing written on failure", nanoseconds == 7);
    check("timed run", gn_session_run(session, input, INPUT, 2, output, OUTPUT) == GN_STATUS_OK
                           && memcmp(output, first, sizeof output) == 0);
    size_t timed_layers = 0;
    check("layer count", gn_model_layer_count(model, &timed_layers) == GN_STATUS_OK && timed_layers > 0);
    expect("B69", gn_session_layer_time(session, timed_layers, &nanoseconds), GN_STATUS_OUT_OF_RANGE, "past the last layer");
    check("layer time: NULL out", gn_session_layer_time(session, 0, NULL) == GN_STATUS_NULL_POINTER);
    check("layer 0 timed", gn_session_layer_time(session, 0, &nanoseconds) == GN_STATUS_OK && nanoseconds > 0);
    check("time layers off", gn_session_time_layers(session, 0) == GN_STATUS_OK);
    expect("B70", gn_session_layer_time(session, 0, &nanoseconds), GN_STATUS_INVALID_STATE, "does not time its layers");

    /* Sample steps, spike accounting and streams. */
    uint32_t sample_steps[2];
    expect("B52", gn_session_sample_steps(session, sample_steps, 3), GN_STATUS_SIZE_MISMATCH,
           "steps must hold one value per sample");
    check("sample steps", gn_session_sample_steps(session, sample_steps, 2) == GN_STATUS_OK && sample_steps[0] == 4);
    uint64_t spikes[256], operations[256];
    gn_neuron_layer_info layer_info;
    expect("B49", gn_session_spike_counts(session, spikes, operations, 256), GN_STATUS_UNSUPPORTED, "does not count spikes");
    expect("B49", gn_session_neuron_layer(session, 0, &layer_info), GN_STATUS_UNSUPPORTED, "does not count spikes");
    float step_output[OUTPUT];
    expect("B46", gn_session_step(session, input, INPUT, step_output, OUTPUT), GN_STATUS_INVALID_STATE, "no stream has begun");
    expect("B47", gn_session_begin_stream(session, 2), GN_STATUS_INVALID_STATE,
           "streaming needs a session that runs step by step");
    gn_session_options streaming = options;
    streaming.schedule = GN_SCHEDULE_STEP_BY_STEP;
    streaming.count_spikes = 1;
    gn_session *stream = NULL;
    check("streaming session", gn_session_create(model, &streaming, &stream) == GN_STATUS_OK);
    check("begin", gn_session_begin_stream(stream, 2) == GN_STATUS_OK);
    for (int step = 0; step < 4; step++) check("step", gn_session_step(stream, input, INPUT, step_output, OUTPUT) == GN_STATUS_OK);
    expect("B48", gn_session_step(stream, input, INPUT, step_output, OUTPUT), GN_STATUS_OUT_OF_RANGE,
           "the stream has taken the session's T steps");
    expect("B50", gn_session_spike_counts(stream, spikes, operations, 7), GN_STATUS_SIZE_MISMATCH,
           "counts must hold steps x neuron layers x samples values");
    expect("B51", gn_session_neuron_layer(stream, neurons, &layer_info), GN_STATUS_OUT_OF_RANGE, "past the last qcfs layer");
    check("neuron layer", gn_session_neuron_layer(stream, 0, &layer_info) == GN_STATUS_OK && layer_info.synapses > 0);
    check("counts", neurons * 4 * 2 <= 256
                        && gn_session_spike_counts(stream, spikes, operations, neurons * 4 * 2) == GN_STATUS_OK);
    gn_session_free(stream);

    /* Instruction sets. */
    gn_session_options isa_options = options;
    gn_session *forced = NULL;
    isa_options.isa = (gn_isa)7;
    expect("B53", gn_session_create(model, &isa_options, &forced), GN_STATUS_INVALID_OPTION, "isa is not a gn_isa");
    if (gn_cpu_isa() != GN_ISA_AVX512_VNNI) { /* the widest set: a CPU that runs it reports it */
        isa_options.isa = GN_ISA_AVX512_VNNI;
        expect("B54", gn_session_create(model, &isa_options, &forced), GN_STATUS_UNSUPPORTED,
               "no kernels of the requested instruction set");
    } else {
        printf("skip B54: this CPU runs every instruction set the library has\n");
    }
    isa_options.isa = GN_ISA_AUTO;
    setenv("GNRUNTIME_ISA", "avx1024", 1);
    expect("B55", gn_session_create(model, &isa_options, &forced), GN_STATUS_INVALID_OPTION,
           "GNRUNTIME_ISA must be baseline, avx2, avx2vnni, avx512 or avx512vnni");
    setenv("GNRUNTIME_ISA", "baseline", 1);
    gn_isa forced_isa = GN_ISA_AUTO;
    check("GNRUNTIME_ISA", gn_session_create(model, &isa_options, &forced) == GN_STATUS_OK
                               && gn_session_isa(forced, &forced_isa) == GN_STATUS_OK && forced_isa == GN_ISA_BASELINE);
    gn_session_free(forced);
    unsetenv("GNRUNTIME_ISA");
    check("isa names", strcmp(gn_isa_name(GN_ISA_AVX2), "avx2") == 0 && strcmp(gn_isa_name((gn_isa)9), "unknown") == 0);

    /* Queries. */
    gn_layer_info info;
    size_t count = 0;
    gn_model_layer_count(model, &count);
    expect("B39", gn_model_layer(model, count, &info), GN_STATUS_OUT_OF_RANGE, "past the last layer");
    gn_weight_type weight_type = GN_WEIGHTS_INT8;
    expect("B39", gn_model_layer_weights(model, count, &weight_type), GN_STATUS_OUT_OF_RANGE, "past the last layer");
    expect("B40", gn_model_layer_weights(model, 0, NULL), GN_STATUS_NULL_POINTER, "_out is NULL");
    check("layer weights", gn_model_layer(model, 0, &info) == GN_STATUS_OK
                               && gn_model_layer_weights(model, 0, &weight_type) == GN_STATUS_OK
                               && weight_type == (info.kind == GN_LAYER_CONV2D || info.kind == GN_LAYER_LINEAR
                                                  ? GN_WEIGHTS_FLOAT32 : GN_WEIGHTS_NONE));
    expect("B40", gn_model_input_shape(model, NULL), GN_STATUS_NULL_POINTER, "_out is NULL");
    expect("B40", gn_session_step_count(session, NULL), GN_STATUS_NULL_POINTER, "_out is NULL");
    expect("B40", gn_session_isa(session, NULL), GN_STATUS_NULL_POINTER, "_out is NULL");
    const char *kernel_name = NULL;
    gn_isa kernel_isa = GN_ISA_AUTO;
    expect("B40", gn_session_layer_kernel(session, 0, NULL, &kernel_isa), GN_STATUS_NULL_POINTER, "_out is NULL");
    expect("B56", gn_session_layer_kernel(session, count, &kernel_name, &kernel_isa), GN_STATUS_OUT_OF_RANGE,
           "past the last layer");
    check("kernel names", gn_session_layer_kernel(session, 0, &kernel_name, &kernel_isa) == GN_STATUS_OK
                              && strncmp(kernel_name, "conv2d.", 7) == 0 && kernel_isa == gn_cpu_isa());
    gn_isa session_isa = GN_ISA_AUTO;
    check("session isa", gn_session_isa(session, &session_isa) == GN_STATUS_OK && session_isa == gn_cpu_isa());
    gn_session_free(session);
    free(arena);

    /* Model lifetime: free the model first, then churn the heap, then run its session. */
    gn_session *survivor = NULL;
    check("survivor", gn_session_create(model, &options, &survivor) == GN_STATUS_OK);
    gn_model_free(model);
    for (int i = 0; i < 64; i++) free(malloc(4096 + (size_t)i));
    check("B-lifetime: a session outlives its freed model",
          gn_session_run(survivor, input, INPUT, 2, output, OUTPUT) == GN_STATUS_OK && memcmp(output, first, sizeof output) == 0);
    gn_session_free(survivor);
    gn_session_free(NULL);
    gn_model_free(NULL);
    (void)other;

    free(input);
    free(aligned);
    free(bytes);
    free(pool_bytes);
    int8_rows(int8_bytes, int8_size);
    free(int8_bytes);
    printf("%s: %d failures\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
