# cli.py
from pytorch_lightning.cli import LightningCLI

from litdatamodule import LitDataModule
from litmodule import LitModule

if __name__ == "__main__":  # spawn・forkserver で読み込み直されたときは学習しない
    LightningCLI(LitModule, LitDataModule)
