import logging
import warnings

import pytorch_lightning as pl

log = logging.getLogger(pl.utilities.rank_zero.__name__)  # Lightning の情報を表示するロガー
log.addFilter(lambda record: "Tip:" not in record.getMessage())  # Tip の行だけを落とす
# Lightning のコードが出す torch の非推奨警告だけを止める
warnings.filterwarnings("ignore", ".*LeafSpec", FutureWarning)
