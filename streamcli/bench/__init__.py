"""`streamcli bench`: how fast streamcli moves chunks, and how fast a model server streams.

Pipeline mode (`pipeline_mode`) runs a synthetic source (`synthetic`) through each sink for
real; endpoint mode (`endpoint_mode`) measures live LLM endpoints. `stats` summarises
samples, `report` draws tables and histograms and reads saved runs back.
"""
