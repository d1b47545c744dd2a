{
  "targets": [{
    "target_name": "gantry_mpi",
    "sources": ["gantry_mpi.cc"],
    "defines": ["OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1"],
    "cflags_cc": ["-O2", "-std=c++17", "<!@(mpicc --showme:compile)"],
    "cflags_cc!": ["-std=gnu++17"],
    "libraries": ["<!@(mpicc --showme:link)", "-ldl"]
  }]
}
