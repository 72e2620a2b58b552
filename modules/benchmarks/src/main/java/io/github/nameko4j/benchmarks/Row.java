package io.github.nameko4j.benchmarks;

/** One line of the table: a measurement of ours beside its baseline from the same run. */
record Row(String id, String what, String ours, String baseline, String ratio, String target, String met) {}
