theorem t : 1 = 1 := rfl -- edited after evaluation
