"""CUDA through the driver API only (ctypes on libcuda.so.1): no CUDA toolkit in the image.

Prints the driver version and each device (name, compute capability, memory, SMs), then runs a
saxpy kernel given as PTX (JIT-compiled by the driver's libnvidia-ptxjitcompiler) on 1M floats
and checks it against the CPU. Exit status 0 only when every result matches.
Run with `python3 -S -u cuda_check.py [N]` (standard library only: ctypes, array, struct, time).
"""
import array
import ctypes
import sys
import time

PTX = rb"""
.version 7.0
.target sm_50
.address_size 64

.visible .entry saxpy(
    .param .u64 px, .param .u64 py, .param .u64 pout, .param .f32 pa, .param .u32 pn)
{
    .reg .pred p;
    .reg .b32 r<6>;
    .reg .b64 rd<10>;
    .reg .f32 f<5>;
    ld.param.u64 rd1, [px];
    ld.param.u64 rd2, [py];
    ld.param.u64 rd3, [pout];
    ld.param.f32 f1, [pa];
    ld.param.u32 r1, [pn];
    mov.u32 r2, %ctaid.x;
    mov.u32 r3, %ntid.x;
    mov.u32 r4, %tid.x;
    mad.lo.s32 r5, r2, r3, r4;
    setp.ge.u32 p, r5, r1;
    @p bra DONE;
    cvta.to.global.u64 rd4, rd1;
    cvta.to.global.u64 rd5, rd2;
    cvta.to.global.u64 rd6, rd3;
    mul.wide.u32 rd7, r5, 4;
    add.s64 rd8, rd4, rd7;
    ld.global.f32 f2, [rd8];
    add.s64 rd9, rd5, rd7;
    ld.global.f32 f3, [rd9];
    fma.rn.f32 f4, f1, f2, f3;
    add.s64 rd8, rd6, rd7;
    st.global.f32 [rd8], f4;
DONE:
    ret;
}
"""

ATTR_MP_COUNT = 16
ATTR_CC_MAJOR = 75
ATTR_CC_MINOR = 76


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError as e:
        print("FAIL: cannot load libcuda.so.1 (driver libraries not in the container?): %s" % e)
        return 1

    def check(what, rc):
        if rc != 0:
            msg = ctypes.c_char_p()
            cuda.cuGetErrorString(rc, ctypes.byref(msg))
            raise SystemExit("FAIL: %s: CUDA error %d (%s)" % (what, rc, (msg.value or b"?").decode()))

    check("cuInit", cuda.cuInit(0))
    ver = ctypes.c_int()
    check("cuDriverGetVersion", cuda.cuDriverGetVersion(ctypes.byref(ver)))
    print("CUDA driver API version: %d.%d" % (ver.value // 1000, (ver.value % 1000) // 10))
    count = ctypes.c_int()
    check("cuDeviceGetCount", cuda.cuDeviceGetCount(ctypes.byref(count)))
    print("devices: %d" % count.value)
    if count.value == 0:
        print("FAIL: no CUDA device visible in the container")
        return 1
    for i in range(count.value):
        dev = ctypes.c_int()
        check("cuDeviceGet", cuda.cuDeviceGet(ctypes.byref(dev), i))
        name = ctypes.create_string_buffer(256)
        check("cuDeviceGetName", cuda.cuDeviceGetName(name, 256, dev))
        mem = ctypes.c_size_t()
        check("cuDeviceTotalMem", cuda.cuDeviceTotalMem_v2(ctypes.byref(mem), dev))
        attrs = {}
        for key, attr in (("major", ATTR_CC_MAJOR), ("minor", ATTR_CC_MINOR), ("sms", ATTR_MP_COUNT)):
            v = ctypes.c_int()
            check("cuDeviceGetAttribute", cuda.cuDeviceGetAttribute(ctypes.byref(v), attr, dev))
            attrs[key] = v.value
        print("device %d: %s, compute capability %d.%d, %.1f GiB, %d SMs"
              % (i, name.value.decode(), attrs["major"], attrs["minor"], mem.value / 2**30, attrs["sms"]))

    dev = ctypes.c_int()
    check("cuDeviceGet", cuda.cuDeviceGet(ctypes.byref(dev), 0))
    ctx = ctypes.c_void_p()
    check("cuCtxCreate", cuda.cuCtxCreate_v2(ctypes.byref(ctx), 0, dev))
    mod = ctypes.c_void_p()
    check("cuModuleLoadData (PTX JIT)", cuda.cuModuleLoadData(ctypes.byref(mod), ctypes.c_char_p(PTX + b"\0")))
    fn = ctypes.c_void_p()
    check("cuModuleGetFunction", cuda.cuModuleGetFunction(ctypes.byref(fn), mod, b"saxpy"))

    a = 2.5
    x = array.array("f", ((i % 1000) * 0.001 for i in range(n)))
    y = array.array("f", ((i % 777) * 0.5 for i in range(n)))
    nbytes = n * 4
    dx, dy, dout = ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_uint64()
    for what, d in (("x", dx), ("y", dy), ("out", dout)):
        check("cuMemAlloc " + what, cuda.cuMemAlloc_v2(ctypes.byref(d), ctypes.c_size_t(nbytes)))
    xa, _ = x.buffer_info()
    ya, _ = y.buffer_info()
    check("cuMemcpyHtoD x", cuda.cuMemcpyHtoD_v2(dx, ctypes.c_void_p(xa), ctypes.c_size_t(nbytes)))
    check("cuMemcpyHtoD y", cuda.cuMemcpyHtoD_v2(dy, ctypes.c_void_p(ya), ctypes.c_size_t(nbytes)))
    pa, pn = ctypes.c_float(a), ctypes.c_uint32(n)
    params = (ctypes.c_void_p * 5)(*[ctypes.cast(ctypes.byref(v), ctypes.c_void_p) for v in (dx, dy, dout, pa, pn)])
    block = 256
    grid = (n + block - 1) // block
    t0 = time.perf_counter()
    check("cuLaunchKernel", cuda.cuLaunchKernel(fn, grid, 1, 1, block, 1, 1, 0, None, params, None))
    check("cuCtxSynchronize", cuda.cuCtxSynchronize())
    gpu_ms = (time.perf_counter() - t0) * 1000
    out = array.array("f", bytes(nbytes))
    oa, _ = out.buffer_info()
    check("cuMemcpyDtoH", cuda.cuMemcpyDtoH_v2(ctypes.c_void_p(oa), dout, ctypes.c_size_t(nbytes)))
    for d in (dx, dy, dout):
        cuda.cuMemFree_v2(d)
    cuda.cuModuleUnload(mod)
    cuda.cuCtxDestroy_v2(ctx)

    t0 = time.perf_counter()
    cpu = array.array("f", (a * xi + yi for xi, yi in zip(x, y)))
    cpu_ms = (time.perf_counter() - t0) * 1000
    bad = 0
    worst = 0.0
    for i in range(n):
        err = abs(out[i] - cpu[i]) / max(1.0, abs(cpu[i]))
        worst = max(worst, err)
        if err > 1e-6:
            bad += 1
    print("saxpy on %d floats: GPU %.2f ms (launch+sync), CPU %.0f ms; max relative error %.2e; %d mismatches"
          % (n, gpu_ms, cpu_ms, worst, bad))
    print("sample: out[12345]=%r cpu=%r" % (out[12345 % n], cpu[12345 % n]))
    if bad:
        print("FAIL: GPU result differs from the CPU's")
        return 1
    print("OK: GPU result matches the CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
