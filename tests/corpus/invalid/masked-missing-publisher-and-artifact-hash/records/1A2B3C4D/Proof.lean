theorem t : 1 + 1 = 2 := rfl
-- edited
