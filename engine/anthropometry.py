"""Body proportions as fractions of standing height (Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed., 2009, fig. 4.1).

The engine turns pixels into centimetres with them when the runner's height is given: thigh, shank
and trunk seen from the side lie in the sagittal plane, so their pixel lengths against these
fractions of the height give the scale. The synthetic runner is built with the same proportions, so
on synthetic data the scale is exact; on a real runner its error is that runner's departure from
Winter's average proportions (a few per cent).
"""

SHOULDER_HEIGHT = 0.818   # acromion
HIP_HEIGHT = 0.530        # greater trochanter
KNEE_HEIGHT = 0.285
ANKLE_HEIGHT = 0.039      # lateral malleolus above the sole
UPPER_ARM = 0.186
FOREARM = 0.146

THIGH = HIP_HEIGHT - KNEE_HEIGHT          # 0.245
SHANK = KNEE_HEIGHT - ANKLE_HEIGHT        # 0.246
TRUNK = SHOULDER_HEIGHT - HIP_HEIGHT      # 0.288 (hip to shoulder)
LEG = THIGH + SHANK                       # 0.491 (hip to ankle, straight)
