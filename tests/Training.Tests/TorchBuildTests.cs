using Dashboard.Training.Native;

namespace Dashboard.Training.Tests;

public class TorchBuildTests
{
    // The shim's report on Debian 12's libtorch 1.13 with OpenBLAS as the system's BLAS (CXX_FLAGS cut short).
    private const string DebianCpu = """
        header_version=1.13.0
        cuda_available=0
        blas_library=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
        blas_library=/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so
        openblas_config=OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64
        show_config=
        PyTorch built with:
          - GCC 12.2
          - C++ Version: 201402
          - Intel(R) MKL-DNN v2.6.3 (Git Hash N/A)
          - OpenMP 201511 (a.k.a. OpenMP 4.5)
          - LAPACK is enabled (usually provided by MKL)
          - CPU capability usage: AVX2
          - Build settings: BLAS_INFO=generic, BUILD_TYPE=RelWithDebInfo, CXX_COMPILER=/usr/bin/c++, CXX_FLAGS=-Wdate-time -D_FORTIFY_SOURCE=2 -g -O2 -fopenmp, LAPACK_INFO=generic, PERF_WITH_AVX=1, PERF_WITH_AVX2=1, PERF_WITH_AVX512=1, TORCH_VERSION=1.13.0, USE_CUDA=OFF, USE_CUDNN=OFF, USE_EXCEPTION_PTR=1, USE_GFLAGS=ON, USE_GLOG=ON, USE_MKLDNN=ON, USE_MPI=OFF, USE_NCCL=OFF, USE_NNPACK=OFF, USE_OPENMP=ON, USE_ROCM=OFF, 

        """;

    // A CUDA libtorch as PyTorch's wheels ship it: MKL linked in, cuBLAS loaded beside it.
    private const string WheelCuda = """
        header_version=2.2.0
        cuda_available=1
        cudart_version=12010
        cudnn_version=8902
        blas_library=/opt/torch/lib/libcublas.so.12
        blas_library=/opt/torch/lib/libcublasLt.so.12
        show_config=
        PyTorch built with:
          - GCC 9.3
          - C++ Version: 201703
          - Intel(R) oneAPI Math Kernel Library Version 2022.2-Product Build 20220804 for Intel(R) 64 architecture applications
          - Intel(R) MKL-DNN v3.3.2 (Git Hash 2dc95a2ad0841e29db8b22fbccaf3e5da7992b01)
          - OpenMP 201511 (a.k.a. OpenMP 4.5)
          - LAPACK is enabled (usually provided by MKL)
          - NNPACK is enabled
          - CPU capability usage: AVX512
          - CUDA Runtime 12.1
          - NVCC architecture flags: -gencode;arch=compute_80,code=sm_80;-gencode;arch=compute_90,code=sm_90
          - CuDNN 8.9.2
          - Magma 2.6.1
          - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, CUDA_VERSION=12.1, CUDNN_VERSION=8.9.2, CXX_COMPILER=/opt/rh/devtoolset-9/root/usr/bin/c++, CXX_FLAGS= -D_GLIBCXX_USE_CXX11_ABI=0 -fabi-version=11, LAPACK_INFO=mkl, TORCH_VERSION=2.2.0, USE_CUDA=ON, USE_CUDNN=ON, USE_MKL=ON, USE_MKLDNN=ON, USE_OPENMP=ON, USE_ROCM=OFF, 

        """;

    [Fact]
    public void Debians_cpu_build_reads_as_its_version_cpu_the_openblas_it_calls_and_its_cpu_backends()
    {
        var torch = TorchBuild.Parse(DebianCpu);
        Assert.Equal("1.13.0", torch.Version);
        Assert.Equal("CPU", torch.Build);
        Assert.Equal("OpenBLAS 0.3.21 (pthread, Haswell)", torch.Blas);
        Assert.Equal("OpenMP 4.5, oneDNN 2.6.3, AVX2", torch.CpuBackends);
        Assert.Equal(DebianCpu, torch.Report);
    }

    [Fact]
    public void A_cuda_wheel_reads_as_cuda_and_cudnn_with_its_own_mkl_not_cublas()
    {
        var torch = TorchBuild.Parse(WheelCuda);
        Assert.Equal("2.2.0", torch.Version);
        Assert.Equal("CUDA 12.1, cuDNN 8.9.2", torch.Build);
        Assert.Equal("MKL 2022.2", torch.Blas);
        Assert.Equal("OpenMP 4.5, oneDNN 3.3.2, AVX512", torch.CpuBackends);
        // The same build on a host whose driver sees no GPU.
        Assert.Equal("CUDA 12.1, cuDNN 8.9.2 (no GPU visible)", TorchBuild.Parse(WheelCuda.Replace("cuda_available=1", "cuda_available=0")).Build);
    }

    [Theory]
    [InlineData("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3", "reference BLAS (unoptimised)")]
    [InlineData("/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3", "BLIS (openmp)")]
    [InlineData("/usr/lib/x86_64-linux-gnu/openblas-serial/libblas.so.3", "OpenBLAS (serial)")]
    [InlineData("/usr/lib/x86_64-linux-gnu/atlas/libblas.so.3", "ATLAS")]
    [InlineData("/opt/intel/oneapi/mkl/lib/libmkl_rt.so.2", "MKL")]
    public void A_generic_build_names_the_blas_the_systems_alternatives_point_at(string library, string blas)
    {
        var report = DebianCpu.Split('\n').Where(l => !l.StartsWith("blas_library=") && !l.StartsWith("openblas_config=")).Prepend($"blas_library={library}");
        Assert.Equal(blas, TorchBuild.Parse(string.Join('\n', report)).Blas);
    }

    [Fact]
    public void The_shims_report_of_this_machine_names_debians_libtorch_the_cpu_build_and_the_blas_libblas_resolves_to()
    {
        var torch = TorchBuild.Current;
        Assert.StartsWith("1.13.", torch.Version);
        Assert.Equal("CPU", torch.Build);
        Assert.Contains("OpenMP", torch.CpuBackends);
        Assert.Contains("PyTorch built with:", torch.Report);
        // Independently of the shim: where the system's libblas.so.3 alternative ends up.
        var blas = new FileInfo("/usr/lib/x86_64-linux-gnu/libblas.so.3").ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "";
        Assert.Contains(blas, torch.Report);
        if (blas.Contains("/openblas-")) Assert.StartsWith("OpenBLAS 0.", torch.Blas);
        else if (blas.Contains("/blas/")) Assert.Equal("reference BLAS (unoptimised)", torch.Blas);
    }
}
