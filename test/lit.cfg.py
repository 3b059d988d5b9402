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
