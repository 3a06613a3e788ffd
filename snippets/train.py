# train.py
from pytorch_lightning.cli import LightningCLI

from litdatamodule import LitDataModule
from litmodule import LitModule

if __name__ == "__main__":  # torchrun や srun が、プロセスごとにこのファイルを実行する
    LightningCLI(LitModule, LitDataModule)
