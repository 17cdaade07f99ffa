/*
 * classify: loads a GNRuntime model, runs one image through it for T time steps, and prints the
 * running prediction after every step, then the output.
 *
 *     classify MODEL [--neuron ann|gn|if] [--tau N] [--T N] [--input FILE]
 *
 * FILE holds one sample as raw little-endian float32 in NCHW order; without it, a fixed synthetic
 * image is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnruntime.h"

static int usage(void) {
    fprintf(stderr, "usage: classify MODEL [--neuron ann|gn|if] [--tau N] [--T N] [--input FILE]\n");
    return 2;
}

static int parse_count(const char *text, uint32_t *value_out) {
    char *end = NULL;
    unsigned long value = strtoul(text, &end, 10);
    if (end == text || *end != '\0' || value > 0xFFFFFFFFul) return 0;
    *value_out = (uint32_t)value;
    return 1;
}

static int read_input(const char *path, float *input, size_t count) {
    FILE *file = fopen(path, "rb");
    if (!file) {
        fprintf(stderr, "classify: cannot open %s\n", path);
        return 0;
    }
    size_t got = fread(input, sizeof(float), count, file);
    int extra = fgetc(file);
    fclose(file);
    if (got != count || extra != EOF) {
        fprintf(stderr, "classify: %s must hold exactly %zu float32 values\n", path, count);
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage();
    gn_session_options options = gn_session_options_default();
    const char *input_path = NULL;
    for (int i = 2; i < argc; i++) {
        if (i + 1 >= argc) return usage();
        const char *flag = argv[i], *value = argv[++i];
        if (strcmp(flag, "--neuron") == 0) {
            if (strcmp(value, "ann") == 0) options.neuron = GN_NEURON_ANN;
            else if (strcmp(value, "gn") == 0) options.neuron = GN_NEURON_GROUP;
            else if (strcmp(value, "if") == 0) options.neuron = GN_NEURON_IF;
            else return usage();
        } else if (strcmp(flag, "--tau") == 0) {
            if (!parse_count(value, &options.tau)) return usage();
        } else if (strcmp(flag, "--T") == 0) {
            if (!parse_count(value, &options.time_steps)) return usage();
        } else if (strcmp(flag, "--input") == 0) {
            input_path = value;
        } else {
            return usage();
        }
    }

    gn_model *model = NULL;
    if (gn_model_load_file(argv[1], GN_LOAD_DEFAULT, &model) != GN_STATUS_OK) {
        fprintf(stderr, "classify: %s\n", gn_last_error());
        return 1;
    }
    gn_shape in_shape, out_shape;
    size_t layers = 0;
    gn_model_input_shape(model, &in_shape);
    gn_model_output_shape(model, &out_shape);
    gn_model_layer_count(model, &layers);
    size_t input_count = (size_t)in_shape.channels * in_shape.height * in_shape.width;
    size_t output_count = (size_t)out_shape.channels * out_shape.height * out_shape.width;
    printf("model: %zu layers, input %ux%ux%u, output %zu\n", layers, in_shape.channels, in_shape.height,
           in_shape.width, output_count);

    gn_session *session = NULL;
    if (gn_session_create(model, &options, &session) != GN_STATUS_OK) {
        fprintf(stderr, "classify: %s\n", gn_last_error());
        gn_model_free(model);
        return 1;
    }
    size_t arena_bytes = 0, steps = 0;
    gn_session_arena_size(model, &options, &arena_bytes);
    gn_session_step_count(session, &steps);

    float *input = malloc(input_count * sizeof(float));
    float *output = malloc(output_count * sizeof(float));
    int32_t *predictions = malloc(steps * sizeof(int32_t));
    int status = 1;
    if (!input || !output || !predictions) {
        fprintf(stderr, "classify: out of memory\n");
        goto done;
    }
    if (input_path) {
        if (!read_input(input_path, input, input_count)) goto done;
    } else {
        for (size_t i = 0; i < input_count; i++) input[i] = (float)((i * 37u) % 101u) / 100.0f;
    }

    if (gn_session_run(session, input, input_count, 1, output, output_count) != GN_STATUS_OK ||
        gn_session_predictions(session, predictions, steps) != GN_STATUS_OK) {
        fprintf(stderr, "classify: %s\n", gn_session_last_error(session));
        goto done;
    }
    const char *kinds[] = {"ann", "gn", "if"};
    printf("session: neuron %s, tau %u, T %u, arena %zu bytes\n", kinds[options.neuron], options.tau,
           options.time_steps, arena_bytes);
    for (size_t t = 0; t < steps; t++) printf("step %zu: prediction %d\n", t + 1, (int)predictions[t]);
    printf("output:");
    for (size_t i = 0; i < output_count; i++) printf(" %.6g", (double)output[i]);
    printf("\n");
    status = 0;

done:
    free(predictions);
    free(output);
    free(input);
    gn_session_free(session);
    gn_model_free(model);
    return status;
}
