module zablab/differential

go 1.19
