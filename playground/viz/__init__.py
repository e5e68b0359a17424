"""Pure numpy computations for views: tiling, colour maps, projections, downsampling."""
