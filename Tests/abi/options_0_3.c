/*
 * A program built against GNRuntime 0.3 (Tests/abi/gnruntime-0.3.h, that release's header: an options
 * struct without `size` and without `isa`), run on this library. It checks that the library reads
 * every field of the 0.3 struct at its 0.3 offset: each field in turn gets a value the library must
 * refuse with that field's own message, and good options give a session of the asked T and batch that
 * runs.
 *
 * Usage: options_0_3 MODEL.gnrt   (a model with at least one qcfs layer, such as gnruntime-demo-model's)
 * Exit status 0 when every check passed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnruntime-0.3.h"

static int failures = 0;

/* Creating a session with `options` fails with `expected` and a message holding `words`. */
static void refused(const char *field, gn_model *model, gn_session_options options, gn_status expected,
                    const char *words) {
    gn_session *session = NULL;
    gn_status status = gn_session_create(model, &options, &session);
    int ok = status == expected && strstr(gn_last_error(), words) != NULL && session == NULL;
    printf("%s %s: %s\n", ok ? "ok  " : "FAIL", field, gn_last_error());
    if (!ok) failures++;
    gn_session_free(session);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: options_0_3 MODEL.gnrt\n");
        return 2;
    }
    gn_model *model = NULL;
    if (gn_model_load_file(argv[1], GN_LOAD_DEFAULT, &model) != GN_STATUS_OK) {
        fprintf(stderr, "options_0_3: %s\n", gn_last_error());
        return 2;
    }
    const gn_session_options defaults = gn_session_options_default();
    int defaults_ok = defaults.neuron == GN_NEURON_GROUP && defaults.tau == 4 && defaults.time_steps == 4 &&
                      defaults.batch == 1 && defaults.threads == 1 &&
                      defaults.schedule == GN_SCHEDULE_LAYER_BY_LAYER && defaults.layer_tau == NULL &&
                      defaults.layer_tau_count == 0 && defaults.count_spikes == 0 &&
                      defaults.exit_rule == GN_EXIT_NONE && defaults.exit_margin == 0.0f && defaults.exit_steps == 1;
    printf("%s gn_session_options_default gives the 0.3 defaults\n", defaults_ok ? "ok  " : "FAIL");
    if (!defaults_ok) failures++;

    /* Each field in turn set to a value refused with that field's own message. */
#define REFUSED(field, value, status, words)                                   \
    do {                                                                       \
        gn_session_options changed = defaults;                                 \
        changed.field = value;                                                 \
        refused(#field, model, changed, status, words);                        \
    } while (0)
    REFUSED(neuron, (gn_neuron_kind)7, GN_STATUS_INVALID_OPTION, "neuron is not a gn_neuron_kind");
    REFUSED(tau, 65, GN_STATUS_INVALID_OPTION, "tau must be in 1...64");
    REFUSED(time_steps, 0, GN_STATUS_INVALID_OPTION, "time_steps must be at least 1");
    REFUSED(batch, 0, GN_STATUS_INVALID_OPTION, "batch must be at least 1");
    REFUSED(threads, 65, GN_STATUS_INVALID_OPTION, "threads must be in 1...64");
    REFUSED(schedule, (gn_schedule)9, GN_STATUS_INVALID_OPTION, "schedule is not a gn_schedule");
    REFUSED(layer_tau_count, 3, GN_STATUS_NULL_POINTER, "layer_tau is NULL");
    REFUSED(count_spikes, 2, GN_STATUS_INVALID_OPTION, "count_spikes must be 0 or 1");
    REFUSED(exit_rule, (gn_exit_rule)9, GN_STATUS_INVALID_OPTION, "exit_rule is not a gn_exit_rule");
    gn_session_options options = defaults;
    options.exit_rule = GN_EXIT_MARGIN;
    options.exit_margin = -1.0f;
    refused("exit_margin", model, options, GN_STATUS_INVALID_OPTION, "exit_margin must be finite and at least 0");
    options = defaults;
    options.exit_rule = GN_EXIT_STABLE;
    options.exit_steps = 0;
    refused("exit_steps", model, options, GN_STATUS_INVALID_OPTION, "exit_steps must be at least 1");

    /* Good options, every field away from its default where the model allows it. */
    options = defaults;
    options.neuron = GN_NEURON_IF;
    options.time_steps = 3;
    options.batch = 2;
    options.threads = 2;
    options.schedule = GN_SCHEDULE_STEP_BY_STEP;
    options.count_spikes = 1;
    gn_session *session = NULL;
    size_t steps = 0;
    gn_shape in_shape, out_shape;
    gn_model_input_shape(model, &in_shape);
    gn_model_output_shape(model, &out_shape);
    size_t input_count = 2 * (size_t)in_shape.channels * in_shape.height * in_shape.width;
    size_t output_count = 2 * (size_t)out_shape.channels * out_shape.height * out_shape.width;
    float *input = calloc(input_count, sizeof(float));
    float *output = calloc(output_count, sizeof(float));
    for (size_t i = 0; i < input_count; i++) input[i] = (float)((i * 37u) % 101u) / 100.0f;
    int runs = input && output && gn_session_create(model, &options, &session) == GN_STATUS_OK &&
               gn_session_step_count(session, &steps) == GN_STATUS_OK && steps == 3 &&
               gn_session_run(session, input, input_count, 2, output, output_count) == GN_STATUS_OK &&
               isfinite(output[0]);
    printf("%s a 0.3 session with T = 3, batch 2, 2 threads, step by step, counting spikes runs\n",
           runs ? "ok  " : "FAIL");
    if (!runs) {
        failures++;
        fprintf(stderr, "options_0_3: %s\n", gn_last_error());
    }
    gn_session_free(session);
    free(input);
    free(output);
    gn_model_free(model);
    printf("%s: %d failures\n", failures ? "FAILED" : "passed", failures);
    return failures ? 1 : 0;
}
