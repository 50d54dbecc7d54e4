// GenModels benchmarks: console programs that print their figures side by side in one run.
//
//   dotnet run -c Release --project test/GenModels.Benchmarks -- foundation [--epochs 1] [--rows 1000000] [--batch 256] [--threads N]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- anomaly [--epochs 20] [--classes 0,1,...]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- gan-modes [--epochs 400] [--rows 4000] [--sigma 0.1] [--lr 1e-3] [--ema 0.99] [--mixtures 8,9,25] [--configs plain,hinge,default] [--threads 1]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- gan-fashion [--epochs 20] [--conv]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- diffusion-fashion [--train 10000] [--epochs 10] [--channels 16] [--batch 64] [--samples 1000] [--gan-epochs 12] [--steps 10,25,50,100] [--ddpm 0] [--guidance 1] [--threads 1]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- gan-growing [--seconds 200] [--starts 8,4] [--channels 32] [--batch 64] [--lr 5e-4] [--train 10000] [--samples 1000] [--classifier-train 5000] [--classifier-epochs 2] [--calibration-steps 10] [--threads 1]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- diffusion-modes [--epochs 20] [--rows 100000] [--samples 2500] [--threads 1] [--mixtures 8,25] [--gan-only] [--gan-lr 2e-4] [--gan-d-lr X] [--gan-decay 0.5] [--gan-pac 2] [--gan-r1 0.1] [--gan-ema 0.99] [--gan-batch 128] [--gan-noise 32] [--gan-activation LeakyReLU] [--gan-width 256x256] [--gan-seed 1]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- translation [--train 20000] [--test 5000] [--epochs 3] [--classifier-train 60000] [--classifier-epochs 1] [--threads 1] [--channels 32] [--batch 64] [--lr 2e-4]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- cyclegan [--train 2000] [--test 1000] [--epochs 6] [--classifier-train 20000] [--threads 1] [--channels 16] [--blocks 2] [--batch 16] [--lr 2e-3] [--identity 0] [--speed-rows 256] [--stream-rows 20000]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- threads [--rows 6000] [--competitors 1] [--policies library,spin,passive]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- onnx
//   dotnet run -c Release --project test/GenModels.Benchmarks -- single-row [--rows 5000] [--threads N]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- conv-vae [--train 10000] [--epochs 5] [--classes 0,6,8] [--ad-epochs 3] [--speed-rows 5000]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- tabular-synthesis [--data DIR] [--sets BostonHousing,Soybean] [--models ctgan,tvae,tvae-modes,tvae-sampled,tvae-argmax,independent] [--epochs N] [--ctgan-epochs 300|derived] [--ctgan-max-rows 5000|all] [--ctgan-steps N] [--ctgan-lr 2e-4] [--seed 1] [--threads 1]
//   dotnet run -c Release --project test/GenModels.Benchmarks -- tabular-anomaly [--data DIR] [--splits 5] [--sets glass,vowel] [--no-peers] [--no-rare] [--score ReconstructionError]
using GenModels.Benchmarks;

var suite = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "foundation";
var rest = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[1..] : args;
switch (suite)
{
    case "foundation": await FoundationBenchmark.Run(rest); break;
    case "anomaly": await AnomalyBenchmark.Run(rest); break;
    case "gan-modes": await GanModesBenchmark.Run(rest); break;
    case "gan-fashion": await GanFashionMnistBenchmark.Run(rest); break;
    case "diffusion-fashion": await DiffusionFashionBenchmark.Run(rest); break;
    case "gan-growing": await GanGrowingBenchmark.Run(rest); break;
    case "diffusion-modes": await DiffusionModesBenchmark.Run(rest); break;
    case "tabular-anomaly": TabularAnomalyBenchmark.Run(rest); break;
    case "tabular-synthesis": TabularSynthesisBenchmark.Run(rest); break;
    case "translation": await TranslationBenchmark.Run(rest); break;
    case "cyclegan": await CycleGanBenchmark.Run(rest); break;
    case "threads": await ThreadsBenchmark.Run(rest); break;
    case "onnx": await OnnxBenchmark.Run(rest); break;
    case "conv-vae": await ConvVaeBenchmark.Run(rest); break;
    case "single-row": await SingleRowBenchmark.Run(rest); break;
    default:
        Console.Error.WriteLine($"Unknown benchmark '{suite}': use foundation, anomaly, gan-modes, gan-fashion, gan-growing, diffusion-modes, diffusion-fashion, translation, cyclegan, tabular-anomaly, tabular-synthesis, threads, onnx, conv-vae or single-row.");
        return 2;
}
return 0;
