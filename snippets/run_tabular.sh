python train_tabular.py
