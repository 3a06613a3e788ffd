from litdatamodule import LitDataModule
from litmodule import LitModule
from quick import quick_trainer
from recorder import Recorder

quick_trainer(callbacks=[Recorder()]).fit(LitModule(), LitDataModule())
