{
  "targets": [{
    "target_name": "gantry_dnnl",
    "sources": ["gantry_dnnl.cc"],
    "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fexceptions"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
    "libraries": ["-ldnnl", "-fopenmp"]
  }]
}
