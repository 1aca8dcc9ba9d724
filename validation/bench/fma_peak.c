/* FMA-throughput probe: the single-precision peak this CPU sustains, measured.
 *
 * A benchmark helper (validation/bench/run.py compiles and runs it), not a test.
 *
 *   gcc -O2 -pthread -o fma_peak validation/bench/fma_peak.c
 *   ./fma_peak THREADS   ->  one JSON line per instruction width:
 *   {"isa", "threads", "gflops_wall", "gflops_cpu"}
 *
 * Each thread runs ACC independent chains of packed fused multiply-adds
 * (acc = acc * m + a, 8 lanes for AVX2 ymm, 16 for AVX-512 zmm) for a fixed number of
 * iterations. With ACC chains in flight the chains' latency (4 cycles on Zen 4) is
 * hidden behind the FMA units' throughput (the inner loop is unrolled so the chains stay in
 * registers), so the time measures how many FMAs per second
 * the cores retire: 2 flops per lane per FMA. Both widths are run because Zen 4 executes
 * a 512-bit operation as two 256-bit halves: the peaks should agree there, while on
 * Intel cores with two 512-bit units AVX-512 doubles it. The result is the best of
 * REPEAT runs (the peak the machine can give; on a loaded machine other work lowers it).
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ACC 12
#define ITERS 20000000L
#define REPEAT 5

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

/* Each thread's own CPU seconds of its last run. */
static double cpu_seconds[256];

static double thread_cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx2,fma"))) static void *run256(void *arg) {
  double c0 = thread_cpu();
  __m256 acc[ACC];
  const __m256 m = _mm256_set1_ps(0.999999f), a = _mm256_set1_ps(1e-7f);
  for (int k = 0; k < ACC; k++) acc[k] = _mm256_set1_ps((float)k);
  for (long i = 0; i < ITERS; i++)
#pragma GCC unroll 16
    for (int k = 0; k < ACC; k++) acc[k] = _mm256_fmadd_ps(acc[k], m, a);
  float s = 0;
  for (int k = 0; k < ACC; k++) s += _mm256_cvtss_f32(acc[k]);
  sink = s;
  cpu_seconds[*(int *)arg] = thread_cpu() - c0;
  return NULL;
}

__attribute__((target("avx512f"))) static void *run512(void *arg) {
  double c0 = thread_cpu();
  __m512 acc[ACC];
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int k = 0; k < ACC; k++) acc[k] = _mm512_set1_ps((float)k);
  for (long i = 0; i < ITERS; i++)
#pragma GCC unroll 16
    for (int k = 0; k < ACC; k++) acc[k] = _mm512_fmadd_ps(acc[k], m, a);
  float s = 0;
  for (int k = 0; k < ACC; k++) s += _mm512_cvtss_f32(acc[k]);
  sink = s;
  cpu_seconds[*(int *)arg] = thread_cpu() - c0;
  return NULL;
}

/* Best GFLOP/s of REPEAT runs of `threads` threads each doing ITERS x ACC FMAs: by the
 * wall clock (what the threads got on this machine at this moment, lower when other work
 * takes the cores), and by each thread's own CPU time summed over the threads (what the
 * cores retire while the probe runs on them: the hardware's peak even under load, as
 * long as the threads run on different physical cores). */
static void peak(void *(*fn)(void *), int threads, int lanes, double *wall, double *cpu) {
  pthread_t t[256];
  int id[256];
  double flops = 2.0 * lanes * ACC * (double)ITERS;
  *wall = *cpu = 0;
  for (int r = 0; r < REPEAT; r++) {
    double t0 = now();
    for (int i = 0; i < threads; i++) {
      id[i] = i;
      pthread_create(&t[i], NULL, fn, &id[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    double w = flops * threads / (now() - t0) / 1e9, c = 0;
    for (int i = 0; i < threads; i++) c += flops / cpu_seconds[i] / 1e9;
    if (w > *wall) *wall = w;
    if (c > *cpu) *cpu = c;
  }
}

static void report(const char *isa, void *(*fn)(void *), int threads, int lanes) {
  double wall, cpu;
  peak(fn, threads, lanes, &wall, &cpu);
  printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops_wall\": %.2f, \"gflops_cpu\": %.2f}\n",
         isa, threads, wall, cpu);
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 256) {
    fprintf(stderr, "fma_peak: usage: fma_peak THREADS (1 to 256)\n");
    return 2;
  }
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    report("avx2-fma", run256, threads, 8);
  if (__builtin_cpu_supports("avx512f"))
    report("avx512f", run512, threads, 16);
  return 0;
}
