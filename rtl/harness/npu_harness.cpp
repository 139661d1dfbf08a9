// C ABI around the Verilated NPU: bulk memory access, a clock loop in C++, and the commit
// trace turned into a byte stream the Python driver parses (see rtl/driver.py).
#include <cstdint>
#include <cstring>
#include <vector>

#include "Vnpu.h"
#include "Vnpu__Syms.h"
#include "Vnpu___024root.h"
#include "verilated.h"
#ifdef GENESYS_VCD
#include "verilated_vcd_c.h"
#endif

namespace {

#include "genesys_isa.h"  // generated at build time: CSR_*, BUF_*, NS_* (isa_spec/gen.py c_header)

enum : uint32_t { TR_DMA = 1, TR_TILE = 2, TR_VWRITE = 3, TR_FLUSH = 4, TR_FAULT = 5 };
const uint32_t TRACE_SPACE_IMEM = 4;  // npu_pkg.sv: an SA DMA trace into instruction memory

struct Npu {
    VerilatedContext ctx;
    Vnpu* top = nullptr;
    uint64_t cycles = 0;
    bool started = false;
    std::vector<uint8_t> trace;
    uint32_t rows, cols;
#ifdef GENESYS_VCD
    VerilatedVcdC* vcd = nullptr;
    uint64_t vcd_first = 0, vcd_last = 0;  // cycles [first, last) are dumped
#endif
};

// Verilator keeps a per-thread "current context" that scope teardown and eval use; with
// several models alive in one process it must point at the model being driven or freed,
// or teardown touches a context that no longer exists.
Npu* bind(void* h) {
    Npu* n = static_cast<Npu*>(h);
    Verilated::threadContextp(&n->ctx);
    return n;
}

#ifdef GENESYS_VCD
void dump(Npu* n, uint64_t time) {
    if (n->vcd && n->cycles >= n->vcd_first && n->cycles < n->vcd_last) n->vcd->dump(time);
}
#else
void dump(Npu*, uint64_t) {}
#endif

// One clock cycle; in a VCD, cycle c is times 2c (clock low) and 2c + 1 (clock high).
void tick(Npu* n) {
    n->top->clk = 0;
    n->top->eval();
    dump(n, 2 * n->cycles);
    n->top->clk = 1;
    n->top->eval();
    dump(n, 2 * n->cycles + 1);
    n->cycles++;
}

// The model's arrays the harness reaches by name (`public_flat_rd` in npu.sv and buffers.sv).
Vnpu___024root* root(Npu* n) { return n->top->rootp; }
uint32_t* imem(Npu* n) { return &root(n)->npu__DOT__imem[0]; }
uint8_t* dram(Npu* n) { return &root(n)->npu__DOT__dram[0]; }

void put32(std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; i++) v.push_back(uint8_t(x >> (8 * i)));
}

// Byte i of a buffer word as Verilator stores it: an integer up to 64 bits, or 32-bit words.
uint8_t byte_of(uint64_t word, uint32_t i) { return uint8_t(word >> (8 * i)); }
template <std::size_t W>
uint8_t byte_of(const VlWide<W>& word, uint32_t i) { return uint8_t(word[i / 4] >> (8 * (i % 4))); }

// The first `bytes` bytes of word `addr` of buffer array `mem` (buffers.sv; zeros past its depth).
template <typename T, std::size_t D>
void read_word(const VlUnpacked<T, D>& mem, uint32_t addr, uint32_t bytes, std::vector<uint8_t>& out) {
    size_t at = out.size();
    out.resize(at + bytes);  // zeros
    if (addr < D)
        for (uint32_t i = 0; i < bytes; i++) out[at + i] = byte_of(mem[addr], i);
}

uint32_t buffer_word_bytes(Npu* n, uint32_t buf) {
    switch (buf) {
        case BUF_IBUF: return n->rows;
        case BUF_WBUF: return n->rows * n->cols;
        default: return 4 * n->cols;
    }
}

// Word `addr` of SA buffer `buf` (BUF_*).
void buffer_word(Npu* n, uint32_t buf, uint32_t addr, std::vector<uint8_t>& out) {
    uint32_t bytes = buffer_word_bytes(n, buf);
    switch (buf) {
        case BUF_IBUF: return read_word(root(n)->npu__DOT__u_buffers__DOT__ibuf, addr, bytes, out);
        case BUF_WBUF: return read_word(root(n)->npu__DOT__u_buffers__DOT__wbuf, addr, bytes, out);
        case BUF_BBUF: return read_word(root(n)->npu__DOT__u_buffers__DOT__bbuf, addr, bytes, out);
        default: return read_word(root(n)->npu__DOT__u_buffers__DOT__obuf, addr, bytes, out);
    }
}

// Word `addr` of VMEM1 or VMEM2 (NS_VMEM*): one 32-bit value per lane.
void vmem_word(Npu* n, uint32_t ns, uint32_t addr, std::vector<uint8_t>& out) {
    const auto* r = root(n);
    read_word(ns == NS_VMEM2 ? r->npu__DOT__u_buffers__DOT__vmem2 : r->npu__DOT__u_buffers__DOT__vmem1, addr, 4 * n->cols, out);
}

void dram_bytes(Npu* n, uint64_t addr, uint64_t len, std::vector<uint8_t>& out) {
    out.insert(out.end(), dram(n) + addr, dram(n) + addr + len);
}

// Serialise the event on the trace port (sampled after a clock edge) with its data.
void record(Npu* n) {
    Vnpu* t = n->top;
    uint32_t kind = t->trace_kind, unit = t->trace_unit, dir = t->trace_dir, space = t->trace_space;
    uint64_t a = t->trace_a;
    uint32_t b = t->trace_b, c = t->trace_c, d = t->trace_d, pc = t->trace_pc;
    std::vector<uint8_t> data;
    if (kind == TR_DMA && unit == 0 && space == TRACE_SPACE_IMEM) {
        dram_bytes(n, a, uint64_t(c) * 4, data);  // the instruction words loaded, as DRAM held them
    } else if (kind == TR_DMA && unit == 0) {
        if (dir == 0)
            for (uint32_t w = 0; w < c; w++) buffer_word(n, space, b + w, data);
        else
            dram_bytes(n, a, uint64_t(c) * buffer_word_bytes(n, space), data);
    } else if (kind == TR_DMA) {
        if (dir == 0) {
            std::vector<uint8_t> word;
            for (uint32_t w = 0; w < c; w++) {
                word.clear();
                vmem_word(n, space, b + w, word);
                for (uint32_t l = 0; l < n->cols; l++)
                    for (uint32_t i = 0; i < d; i++) data.push_back(word[4 * l + i]);
            }
        } else {
            dram_bytes(n, a, uint64_t(c) * n->cols * d, data);
        }
    } else if (kind == TR_TILE) {
        for (uint32_t w = b; w < c; w++) buffer_word(n, BUF_OBUF, w, data);
    } else if (kind == TR_VWRITE && space == NS_IBUF) {  // int8 per lane, recorded as int32 like the spec
        std::vector<uint8_t> word;
        buffer_word(n, BUF_IBUF, b, word);
        for (uint8_t v : word)
            for (int i = 0; i < 4; i++) data.push_back(i == 0 ? v : (v & 0x80 ? 0xFF : 0x00));
    } else if (kind == TR_VWRITE) {
        vmem_word(n, space, b, data);
    }
    std::vector<uint8_t>& out = n->trace;
    for (uint32_t x : {kind, unit, pc, dir, space}) put32(out, x);
    put32(out, uint32_t(a));
    put32(out, uint32_t(a >> 32));
    for (uint32_t x : {b, c, d, uint32_t(data.size())}) put32(out, x);
    out.insert(out.end(), data.begin(), data.end());
}

// Reset pulse after power-on, then the cycle count starts.
void power_on(Npu* n) {
    n->top->rst = 1;
    tick(n);
    tick(n);
    n->top->rst = 0;
    n->cycles = 0;
}

}  // namespace

// Verilator's own initialisation of every variable of a module instance, as its constructor
// runs it (Verilator 5 emits one per module class kept in the hierarchy; npu.sv and its units
// are inlined into the root, nothing in them being `public`, so this one is all of them).
void Vnpu___024root___ctor_var_reset(Vnpu___024root* vlSelf);

extern "C" {

void* npu_new(uint32_t rows, uint32_t cols) {
    Npu* n = new Npu;
    n->ctx.randReset(0);  // every register and memory starts at zero, as in the spec
#ifdef GENESYS_VCD
    n->ctx.traceEverOn(true);  // before the model exists, so that it builds its trace code
#endif
    n->top = new Vnpu{&n->ctx};
    n->rows = rows;
    n->cols = cols;
    power_on(n);
    return n;
}

// Return the model to the state `npu_new` leaves it in (DRAM, IMEM, buffers, registers,
// counters, trace, cycle count) without building a new one: the variables are set as the
// constructor sets them, and the next eval runs the initial blocks again, as the first one
// did. Coverage counters (a coverage build) are kept: they are not machine state.
void npu_reset(void* h) {
    Npu* n = bind(h);
    Vnpu__Syms* syms = n->top->rootp->vlSymsp;
    Vnpu___024root___ctor_var_reset(&syms->TOP);
    syms->__Vm_didInit = false;
    n->started = false;
    n->trace.clear();
    power_on(n);
}

// Dump cycles [first, last) (counted from the end of reset) to a VCD file at `path`.
// Returns 0, or -1 when this build has no trace code (rtl.build.library(trace=False)).
int npu_vcd_open(void* h, const char* path, uint64_t first, uint64_t last) {
#ifdef GENESYS_VCD
    Npu* n = bind(h);
    n->vcd = new VerilatedVcdC;
    n->top->trace(n->vcd, 99);
    n->vcd->open(path);
    n->vcd_first = first;
    n->vcd_last = last;
    return 0;
#else
    (void)h, (void)path, (void)first, (void)last;
    return -1;
#endif
}

void npu_vcd_close(void* h) {
#ifdef GENESYS_VCD
    Npu* n = bind(h);
    if (n->vcd) {
        n->vcd->close();
        delete n->vcd;
        n->vcd = nullptr;
    }
#else
    (void)h;
#endif
}

void npu_free(void* h) {
    npu_vcd_close(h);
    Npu* n = bind(h);
    n->top->final();
    delete n->top;
    delete n;
}

void npu_write_imem(void* h, const uint32_t* words, uint32_t count) {
    Npu* n = static_cast<Npu*>(h);
    for (uint32_t i = 0; i < count; i++) imem(n)[i] = words[i];
}

void npu_write_dram(void* h, uint64_t addr, const uint8_t* data, uint64_t len) {
    Npu* n = static_cast<Npu*>(h);
    std::memcpy(dram(n) + addr, data, len);
}

void npu_read_dram(void* h, uint64_t addr, uint8_t* out, uint64_t len) {
    Npu* n = static_cast<Npu*>(h);
    std::memcpy(out, dram(n) + addr, len);
}

void csr_write(Npu* n, uint32_t addr, uint32_t value) {
    n->top->csr_we = 1;
    n->top->csr_addr = addr;
    n->top->csr_wdata = value;
    tick(n);
    n->top->csr_we = 0;
}

uint32_t csr_read(Npu* n, uint32_t addr) {
    n->top->csr_addr = addr;
    n->top->eval();
    return n->top->csr_rdata;
}

constexpr uint32_t STATUS_HALTED = 2, STATUS_FAULTED = 4;

// Run up to `max_cycles` more cycles. Returns 0 still running, 1 halted, 2 halted on a fault.
int npu_run(void* h, uint32_t prog_len, uint64_t max_cycles) {
    Npu* n = bind(h);
    Vnpu* t = n->top;
    if (!n->started) {
        n->started = true;
        csr_write(n, CSR_PROG_LEN, prog_len);
        csr_write(n, CSR_PROG_BASE, 0);
        csr_write(n, CSR_CTRL, 1);
    }
    t->csr_addr = CSR_STATUS;  // csr_rdata follows the status as the clock runs
    t->eval();
    for (uint64_t i = 0; i < max_cycles && !(t->csr_rdata & STATUS_HALTED); i++) {
        tick(n);
        if (t->trace_valid) record(n);
    }
    uint32_t status = t->csr_rdata;
    return (status & STATUS_HALTED) ? ((status & STATUS_FAULTED) ? 2 : 1) : 0;
}

uint32_t npu_csr_read(void* h, uint32_t addr) { return csr_read(bind(h), addr); }

// The performance counters (CSR_CYCLES_LO on, LO and HI words), `count` of them.
void npu_counters(void* h, uint64_t* out, uint32_t count) {
    Npu* n = bind(h);
    for (uint32_t k = 0; k < count; k++)
        out[k] = csr_read(n, CSR_CYCLES_LO + 2 * k) | uint64_t(csr_read(n, CSR_CYCLES_LO + 2 * k + 1)) << 32;
}

uint64_t npu_cycles(void* h) { return static_cast<Npu*>(h)->cycles; }

uint64_t npu_trace_size(void* h) { return static_cast<Npu*>(h)->trace.size(); }

void npu_trace_take(void* h, uint8_t* out) {
    Npu* n = static_cast<Npu*>(h);
    std::memcpy(out, n->trace.data(), n->trace.size());
    n->trace.clear();
}

}  // extern "C"
