pip install "pytorch-lightning>=2.4" torchvision
# uv の場合:     uv add "pytorch-lightning>=2.4" torchvision
# poetry の場合: poetry add "pytorch-lightning>=2.4" torchvision
