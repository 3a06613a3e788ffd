import logging
import warnings

import pytorch_lightning as pl

# 学習と関係のない表示を止める：Lightning の宣伝（Tip）と、Lightning 内部への警告
logging.getLogger(pl.utilities.rank_zero.__name__).addFilter(lambda r: "Tip:" not in r.getMessage())
warnings.filterwarnings("ignore", ".*LeafSpec", FutureWarning)
