import numpy as np  # 資料用：練習用のデータを作る。自分の課題では不要

rng = np.random.default_rng(0)
label = rng.integers(0, 3, size=400)  # 3 クラス
scale = np.array([1, 10, 100, 0.1, 1, 5, 50, 2])  # 列ごとに単位が違う
x = (rng.normal(size=(400, 8)) + 0.8 * label[:, None] * rng.normal(size=8)) * scale
header = ",".join([f"x{i}" for i in range(8)] + ["label"])  # 1 行目は列名、最後の列がクラス
np.savetxt("my_data.csv", np.column_stack([x, label]), delimiter=",",
           header=header, comments="")
