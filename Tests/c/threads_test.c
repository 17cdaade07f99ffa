/*
 * One model, shared by THREADS threads, each with its own session, each running RUNS samples (runs of
 * one sample, or of BATCH on a pool of two threads): every run must give exactly what a single thread
 * gives, and a session that times its layers a time for each. Built and run by scripts/sanitizers.sh
 * under ThreadSanitizer.
 *
 *     threads_test MODEL [THREADS [RUNS]]
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnruntime.h"

enum { INPUT = 3 * 32 * 32, OUTPUT = 10, STEPS = 3, BATCH = 8 };

static gn_model *model;
static float input[BATCH * INPUT];  /* BATCH different samples */
static float expected[BATCH * OUTPUT];  /* each sample's output from a session of one thread */
static int runs = 1000;

struct worker {
    int index;
    int mismatches;
    int errors;
};

static gn_session_options options(void) {
    gn_session_options options = gn_session_options_default();
    options.neuron = GN_NEURON_GROUP;
    options.tau = 4;
    options.time_steps = STEPS;
    return options;
}

static void *work(void *argument) {
    struct worker *worker = argument;
    gn_session_options session_options = options();
    /* A third of the threads run step by step, a third lean, and half spread their session over a
       pool of 2 threads, with batches of BATCH samples (layer by layer and lean, each pool thread then
       takes passes of samples of its own): every configuration gives the same results. */
    session_options.schedule = worker->index % 3 == 1 ? GN_SCHEDULE_STEP_BY_STEP
                             : worker->index % 3 == 2 ? GN_SCHEDULE_LEAN : GN_SCHEDULE_LAYER_BY_LAYER;
    session_options.threads = worker->index % 2 == 1 ? 2 : 1;
    size_t samples = worker->index % 2 == 1 ? BATCH : 1;
    session_options.batch = (uint32_t)samples;
    gn_session *session = NULL;
    if (gn_session_create(model, &session_options, &session) != GN_STATUS_OK) {
        worker->errors++;
        return NULL;
    }
    /* Every second pair of threads times its layers (gn_session_time_layers): a pool's threads then add
       to counters of their own, in passes (layer by layer) or in the parts of a convolution's fused job
       (step by step), and the calling thread reads them after the run. */
    int times_layers = worker->index % 4 >= 2;
    size_t layers = 0;
    if (times_layers && (gn_session_time_layers(session, 1) != GN_STATUS_OK ||
                         gn_model_layer_count(model, &layers) != GN_STATUS_OK)) {
        worker->errors++;
    }
    float output[BATCH * OUTPUT];
    int32_t predictions[STEPS * BATCH];
    /* A batch session's run takes BATCH samples: as many runs as take RUNS samples in all (at least 8). */
    int session_runs = samples > 1 ? (runs / BATCH > 8 ? runs / BATCH : 8) : runs;
    for (int run = 0; run < session_runs; run++) {
        if (gn_session_run(session, input, samples * INPUT, samples, output, samples * OUTPUT) != GN_STATUS_OK ||
            gn_session_predictions(session, predictions, STEPS * samples) != GN_STATUS_OK) {
            worker->errors++;
            continue;
        }
        if (memcmp(output, expected, samples * OUTPUT * sizeof(float)) != 0) worker->mismatches++;
        if (!times_layers) continue;
        uint64_t run_time = 0;
        for (size_t layer = 0; layer < layers; layer++) {
            uint64_t nanoseconds = 0;
            if (gn_session_layer_time(session, layer, &nanoseconds) != GN_STATUS_OK) worker->errors++;
            run_time += nanoseconds;
        }
        if (run_time == 0) worker->errors++;
    }
    gn_session_free(session);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: threads_test MODEL [THREADS [RUNS]]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 8;
    if (argc > 3) runs = atoi(argv[3]);
    if (threads < 1 || threads > 64 || runs < 1) return 2;
    if (gn_model_load_file(argv[1], GN_LOAD_DEFAULT, &model) != GN_STATUS_OK) {
        fprintf(stderr, "threads_test: %s\n", gn_last_error());
        return 2;
    }
    for (int i = 0; i < BATCH * INPUT; i++) input[i] = (float)((i * 13 + i / INPUT) % 50) / 49.0f;
    gn_session_options single = options();
    gn_session *session = NULL;
    if (gn_session_create(model, &single, &session) != GN_STATUS_OK) {
        fprintf(stderr, "threads_test: %s\n", gn_last_error());
        return 2;
    }
    for (int sample = 0; sample < BATCH; sample++) {
        if (gn_session_run(session, input + sample * INPUT, INPUT, 1, expected + sample * OUTPUT, OUTPUT) != GN_STATUS_OK) {
            fprintf(stderr, "threads_test: %s\n", gn_last_error());
            return 2;
        }
    }
    gn_session_free(session);

    pthread_t handles[64];
    struct worker workers[64];
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){t, 0, 0};
        pthread_create(&handles[t], NULL, work, &workers[t]);
    }
    int mismatches = 0, errors = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(handles[t], NULL);
        mismatches += workers[t].mismatches;
        errors += workers[t].errors;
    }
    gn_model_free(model);
    printf("%d threads x %d samples: %d mismatches, %d errors\n", threads, runs, mismatches, errors);
    return mismatches || errors ? 1 : 0;
}
