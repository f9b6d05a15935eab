import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UploadedFiles,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal, NotAudited } from '../platform/auth/auth.guard';
import type { Principal } from '../platform/auth/projects.service';
import { ConflictError } from '../platform/errors/domain-error';
import { sendArtifact } from '../platform/http/artifact-response';
import { ApiProblems } from '../platform/http/problem.dto';
import { formFields, isMultipart, validateJsonBody } from '../datasets/uploads/body';
import {
  BundleManifestDto,
  EvaluationDto,
  InitModelDto,
  MODEL_IMPORT_SCHEMA,
  ModelDto,
  ModelFileListDto,
  ModelListDto,
  PredictDto,
  PredictResponseDto,
} from './models.dto';
import { PageQuery } from '../datasets/datasets.dto';
import { InferenceCache } from './inference-cache';
import { ModelFilesService } from './model-files';
import { ModelBundleService } from './model-bundle';
import { MODEL_UPLOAD_MAX_BYTES, ModelsService } from './models.service';
import { multipartInterceptor, UploadedFile } from '../datasets/uploads/multipart.interceptor';
import { TfRuntime } from '../ml/tf-runtime';

@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/models')
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly inference: InferenceCache,
    private readonly files: ModelFilesService,
    private readonly tf: TfRuntime,
    private readonly bundles: ModelBundleService,
  ) {}

  @Post()
  @UseInterceptors(multipartInterceptor({ fileSize: MODEL_UPLOAD_MAX_BYTES, files: 64 }))
  @ApiOperation({
    summary: 'Register a base model',
    description:
      'multipart/form-data: import a TF.js LayersModel (model.json plus the weight files its manifest names). ' +
      'application/json: initialise a zoo architecture with seeded weights.',
  })
  @ApiConsumes('multipart/form-data', 'application/json')
  @ApiExtraModels(InitModelDto)
  @ApiBody({ schema: { oneOf: [{ $ref: getSchemaPath(InitModelDto) }, MODEL_IMPORT_SCHEMA] } })
  @ApiCreatedResponse({ type: ModelDto })
  @ApiProblems(400, 409, 413, 422)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Req() req: Request,
    @Body() body: unknown,
    @UploadedFiles() files: UploadedFile[] | undefined,
  ): Promise<ModelDto> {
    await this.tf.ready();
    if (isMultipart(req)) {
      return ModelDto.from(await this.models.importModel(principal, files ?? [], formFields(body)));
    }
    const dto = await validateJsonBody(body, InitModelDto);
    return ModelDto.from(await this.models.initModel(principal, dto));
  }

  @Get()
  @ApiOperation({ summary: 'List the registered models of the project, newest first' })
  @ApiOkResponse({ type: ModelListDto })
  @ApiProblems(400)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQuery,
  ): Promise<ModelListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const { items, total } = await this.models.list(principal, limit, offset);
    return { items: items.map((m) => ModelDto.from(m)), total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A model: architecture summary, parameters, FLOPs, lineage, metrics' })
  @ApiOkResponse({ type: ModelDto })
  @ApiProblems(400, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<ModelDto> {
    return ModelDto.from(await this.models.get(principal.projectId, id));
  }

  @Post(':id/predict')
  @NotAudited()
  @HttpCode(200)
  @ApiOperation({ summary: 'Class probabilities for a batch of images, rows or texts' })
  @ApiOkResponse({ type: PredictResponseDto })
  @ApiProblems(400, 404, 413, 422)
  async predict(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Body() body: PredictDto,
  ): Promise<PredictResponseDto> {
    await this.tf.ready();
    return this.inference.predict(principal, id, body);
  }

  @Get(':id/evaluation')
  @ApiOperation({
    summary: 'Accuracy, per-class precision/recall and confusion matrix on the test split',
  })
  @ApiOkResponse({ type: EvaluationDto })
  @ApiProblems(400, 404, 409)
  async evaluation(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<EvaluationDto> {
    const model = await this.models.get(principal.projectId, id);
    if (model.evaluation === null) {
      throw new ConflictError(
        `model ${model.name} has no evaluation: only models trained or fine-tuned on a data set with a test split are evaluated`,
      );
    }
    return { model: model.id, ...(model.evaluation as Omit<EvaluationDto, 'model'>) };
  }

  @Get(':id/files')
  @ApiOperation({
    summary:
      "A model's files (model.json, weights.bin, vocabulary, model card) with sizes and sha256",
    description:
      'Every registered model, whatever produced it (training, import, NAS export, pruning). ' +
      '`:id` is the id or the name of the model.',
  })
  @ApiOkResponse({ type: ModelFileListDto })
  @ApiProblems(400, 404, 409)
  listFiles(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ModelFileListDto> {
    return this.files.list(principal.projectId, id);
  }

  @Get(':id/bundle')
  @ApiOperation({
    summary: 'The export bundle of a model for on-device use (packages/edge)',
    description:
      'A manifest: the files to download (model.json, weights.bin, card), class names, the input ' +
      'contract and preprocessing, and the pruned variants (with FLOPs and parameters) a prune ' +
      'job registered from this model. `:id` is the id or the name of the model.',
  })
  @ApiOkResponse({ type: BundleManifestDto })
  @ApiProblems(400, 404)
  bundle(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<BundleManifestDto> {
    return this.bundles.manifest(principal.projectId, id);
  }

  @Get(':id/files/:name')
  @ApiOperation({ summary: 'Download one file of a model (a TF.js LayersModel folder together)' })
  @ApiProduces('application/json', 'application/octet-stream')
  @ApiOkResponse({ description: 'The file bytes', schema: { type: 'string', format: 'binary' } })
  @ApiProblems(400, 404, 409)
  async downloadFile(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
    @Param('name') name: string,
    @Res() res: Response,
  ): Promise<void> {
    const content = await this.files.file(principal.projectId, id, name);
    if ('data' in content) {
      res.setHeader('Content-Type', content.contentType);
      res.send(content.data);
      return;
    }
    sendArtifact(res, content);
  }
}
