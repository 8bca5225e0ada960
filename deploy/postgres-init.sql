-- Temporal keeps its own databases beside motcua's read model.
CREATE DATABASE temporal OWNER motcua;
CREATE DATABASE temporal_visibility OWNER motcua;
