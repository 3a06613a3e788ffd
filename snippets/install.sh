pip install "pytorch-lightning>=2.6.1" torchvision matplotlib
pip install "jsonargparse[signatures]>=4.27.7"  # 付録の LightningCLI で使う
# uv の場合：     pip の代わりに uv pip install
# conda の場合：  conda install pytorch-lightning torchvision matplotlib -c conda-forge
