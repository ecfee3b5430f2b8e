def forward(params, inputs, h0)
    return inputs
