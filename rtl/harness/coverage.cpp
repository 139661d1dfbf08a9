// The coverage variant's extra entry point (rtl/build.py, coverage=True): write the line and
// toggle counters of the model driven last to a Verilator coverage file, then zero them (the
// next file counts what ran after this one). Every model has its own context
// (npu_harness.cpp), and every call of the harness makes that model's context the thread's
// current one, so this is called right after `npu_run` of the model it is about.
#include "verilated.h"
#include "verilated_cov.h"

extern "C" void npu_coverage_write(const char* path) {
    VerilatedCovContext* cov = Verilated::threadContextp()->coveragep();
    cov->write(path);
    cov->zero();
}
