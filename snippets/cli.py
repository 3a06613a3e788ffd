# cli.py
import torch
from pytorch_lightning.cli import LightningCLI

from litdatamodule import LitDataModule
from litmodule import LitModule

if __name__ == "__main__":  # spawn・forkserver で読み込み直されたときは学習しない
    LightningCLI(LitModule, LitDataModule)
    if torch.distributed.is_initialized():  # 複数プロセスの学習の後始末
        torch.distributed.destroy_process_group()
