# lit configuration for ssmc: finds the freshly built tools in the build tree.
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "SSMC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.ssmc_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.ssmc_tools_dir, append_path=True)
config.substitutions.append(("%ssmc_src", config.ssmc_src_root))

llvm_config.add_tool_substitutions(["ssmc-opt", "ssmc-compile", "ssmc-run"],
                                   [config.ssmc_tools_dir])
# Debian's interpreter: it has python3-torch and python3-numpy.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(("%ssmc_runtime_lib",
                             os.path.join(config.ssmc_obj_root, "lib", "libssmc_runtime.so")))

# The NVVM back end links libdevice from the CUDA toolkit: tell it where the
# toolkit is, and let GPU-codegen tests require one (no GPU is needed).
cuda_root = os.environ.get("CUDA_HOME") or os.environ.get("CUDA_ROOT") or "/usr/local/cuda"
if os.path.isdir(os.path.join(cuda_root, "nvvm", "libdevice")):
    config.available_features.add("cuda-toolkit")
    for var in ("CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"):
        config.environment[var] = cuda_root
