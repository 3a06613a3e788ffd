pip install "pytorch-lightning>=2.6" torchvision
# uv の場合：     uv pip install "pytorch-lightning>=2.6" torchvision
# conda の場合：  conda install lightning torchvision -c conda-forge
