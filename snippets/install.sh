pip install "pytorch-lightning>=2.6.1,<3" torchvision matplotlib tensorboard
pip install "jsonargparse[signatures]>=4.27.7"  # 付録の LightningCLI で使う
